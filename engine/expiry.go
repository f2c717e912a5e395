package engine

import (
	"context"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Expiry (DESIGN.md §4): a grant whose EffectiveTo has passed already
// behaves as revoked in every call, because every call filters by the
// clock. The sweeper only compacts: it removes ended grants from the store
// as ordinary commits, so that they stop taking memory and their removal
// reaches the change record like any revoke.

// sweepBatchSize bounds the grants one sweep commit removes, so that a sweep
// after a long pause never holds the write lock for long.
const sweepBatchSize = 10_000

// grantKey is a grant's unique key. Its strings point into the stored row.
type grantKey struct {
	org     string
	entity  model.EntityRef
	grantee model.Subject
	effect  model.Effect
}

// expiryEntry is one grant with an end, ordered by when it ends.
type expiryEntry struct {
	to  time.Time
	id  string
	key grantKey
}

func expiryLess(a, b expiryEntry) bool {
	if c := a.to.Compare(b.to); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

// expirer tracks every stored grant that has an EffectiveTo, ordered by it,
// and runs the background sweeper. Its zero value is ready: it tracks from
// the first commit it observes.
type expirer struct {
	// mu guards the index. Its users also hold writeMu (observe runs in
	// publish, sweeps in a write), so it is never contended; it is here so
	// that the index does not depend on that.
	mu sync.Mutex
	// tree orders the tracked grants by (EffectiveTo, id).
	tree *btree.BTreeG[expiryEntry]
	// byKey is the tracked entry of each key, so that a grant replaced
	// under its key (a new id, or a new window) drops its old entry.
	byKey map[grantKey]expiryEntry
	// batch overrides sweepBatchSize in tests.
	batch int

	stopOnce sync.Once
	cancel   context.CancelFunc // nil when no sweeper runs
	done     chan struct{}
}

// observe brings the index up to date with one commit. It runs under
// writeMu, in commit order.
func (x *expirer) observe(cs store.ChangeSet) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ch := range cs.Grants {
		g := ch.Grant
		if len(x.byKey) == 0 && (ch.Deleted || g.EffectiveTo.IsZero()) {
			continue // nothing tracked to drop, nothing to track
		}
		key := grantKey{org: g.Org, entity: g.Entity, grantee: g.Grantee, effect: g.Effect}
		x.forgetKey(key)
		if !ch.Deleted {
			x.track(key, g)
		}
	}
}

// track adds g under key when it has an end. The caller holds mu and has
// forgotten whatever key had.
func (x *expirer) track(key grantKey, g *model.Grant) {
	if g.EffectiveTo.IsZero() {
		return
	}
	if x.tree == nil {
		x.tree = btree.NewG(32, expiryLess)
		x.byKey = make(map[grantKey]expiryEntry)
	}
	ent := expiryEntry{to: g.EffectiveTo, id: g.ID, key: key}
	x.tree.ReplaceOrInsert(ent)
	x.byKey[key] = ent
}

// forgetKey drops key's entry, if any. The caller holds mu.
func (x *expirer) forgetKey(key grantKey) {
	if old, ok := x.byKey[key]; ok {
		x.tree.Delete(old)
		delete(x.byKey, key)
	}
}

// due returns up to limit tracked grants that have ended at now, earliest
// first.
func (x *expirer) due(now time.Time, limit int) []expiryEntry {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.tree == nil {
		return nil
	}
	var out []expiryEntry
	x.tree.Ascend(func(ent expiryEntry) bool {
		if ent.to.After(now) || len(out) == limit {
			return false
		}
		out = append(out, ent)
		return true
	})
	return out
}

// resync makes key's entry match what is stored under it (g when ok): a
// safety net, as observe keeps them matched.
func (x *expirer) resync(key grantKey, g model.Grant, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.forgetKey(key)
	if ok {
		x.track(key, &g)
	}
}

// size returns how many grants are tracked.
func (x *expirer) size() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.byKey)
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
	_, err = e.write(ctx, func(tx *store.WriteTxn) error {
		removed, more = 0, false
		now := e.clock()
		due := e.expiry.due(now, limit)
		more = len(due) == limit
		for _, ent := range due {
			// Re-check against the store: the index is a hint, the store
			// the record.
			k := ent.key
			g, ok := tx.GrantWithEffect(k.org, k.entity, k.grantee, k.effect)
			if !ok || g.ID != ent.id || !g.EndedAt(now) {
				e.expiry.resync(k, g, ok)
				continue
			}
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
