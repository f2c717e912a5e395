package engine

import (
	"context"
	"sync"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Expiry (docs/design.md §2.5): a grant whose EffectiveTo has passed already
// behaves as revoked in every call, because every call filters by the
// clock. The sweeper only compacts: it removes ended grants from the store
// as ordinary commits, so that they stop taking memory and their removal
// reaches the change record like any revoke.

// sweepBatchSize bounds the grants one sweep commit removes, so that a sweep
// after a long pause never holds the write lock for long.
const sweepBatchSize = 10_000

// expirer runs the background sweeper. Which grants have ended is not kept
// here: it is an index of the store (ReadTxn.EndedGrants), versioned with
// everything else, so every published snapshot answers it for its own
// revision. Its zero value is ready.
type expirer struct {
	// batch overrides sweepBatchSize in tests.
	batch int

	stopOnce sync.Once
	cancel   context.CancelFunc // nil when no sweeper runs
	done     chan struct{}
}

// sweepNow removes every grant that has ended at the engine's time, in
// commits of at most sweepBatchSize grants, and returns how many it removed.
// It stops at the first error (ErrClosed, a cancelled ctx).
func (e *Engine) sweepNow(ctx context.Context) (int, error) {
	total := 0
	for {
		removed, more, err := e.sweepBatch(ctx)
		total += removed
		if err != nil || !more {
			return total, err
		}
	}
}

// sweepBatch removes one batch of ended grants in one commit, and reports
// whether more may be due.
func (e *Engine) sweepBatch(ctx context.Context) (removed int, more bool, err error) {
	limit := e.expiry.batch
	if limit <= 0 {
		limit = sweepBatchSize
	}
	if e.closed.Load() {
		return 0, false, closedError()
	}
	// The published snapshot tells whether anything has ended without
	// taking the write lock: most sweeps find nothing.
	if len(endedGrants(e.current.Load().snap.Read(), e.clock(), 1)) == 0 {
		return 0, false, nil
	}
	_, err = e.commit(ctx, func(tx *store.WriteTxn) error {
		removed, more = 0, false
		due := endedGrants(&tx.ReadTxn, e.clock(), limit)
		more = len(due) == limit
		for _, g := range due {
			if _, err := tx.DeleteGrant(g); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return removed, more, nil
}

// endedGrants returns up to limit grants of tx that have ended at now,
// earliest end first.
func endedGrants(tx *store.ReadTxn, now time.Time, limit int) []model.Grant {
	var out []model.Grant
	tx.EndedGrants(now, func(g model.Grant) bool {
		out = append(out, g)
		return len(out) < limit
	})
	return out
}

// startSweeper starts the background sweeper, unless the interval turns it
// off. Open calls it once.
func (e *Engine) startSweeper() {
	interval := e.cfg.sweepInterval
	if interval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.expiry.cancel, e.expiry.done = cancel, make(chan struct{})
	go e.sweepLoop(ctx, interval, e.expiry.done)
}

func (e *Engine) sweepLoop(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// An error here is ErrClosed or the cancelled context, both of
			// which end the loop at the next select; anything else is
			// retried at the next tick, and there is no caller to tell.
			_, _ = e.sweepNow(ctx)
		}
	}
}

// stopSweeper stops the sweeper and waits for it to return. Close calls it
// before taking writeMu, because a sweep in progress holds writeMu. It is
// safe to call more than once and from several goroutines.
func (e *Engine) stopSweeper() {
	e.expiry.stopOnce.Do(func() {
		if e.expiry.cancel == nil {
			return
		}
		e.expiry.cancel()
		<-e.expiry.done
	})
}
