package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// maxLogAttempts bounds how often one write runs again after losing the
// race to append: far above what replicas writing in tight loops need, so
// that only a log that keeps moving without this replica seeing it ends a
// write this way.
const maxLogAttempts = 1000

// followRetry is how long the follower waits before following the log
// again after it failed (the log unreachable).
const followRetry = 200 * time.Millisecond

// recordCommit starts a log record holding one commit inline: the tag, then
// the commit in the journal's encoding (disk.EncodeCommit), which carries the
// writer's clock for the change feed's At. Other tags are left for later
// kinds of record. A record too large for the log's messages is still this
// one: the Log stores it elsewhere and gives it back whole (cluster keeps it
// in its object store).
const recordCommit byte = 1

// replica is a replicated engine's link to its log. Its zero value (no
// log) is a standalone engine's.
type replica struct {
	log Log
	// seq is the sequence of the last record applied; failed, once set,
	// stops applying and writing (a record that does not follow the
	// state: this replica has diverged). Both are guarded by writeMu.
	seq    uint64
	failed error
	logger *slog.Logger
	buf    []byte

	cancel context.CancelFunc
	done   chan struct{}
}

// openReplica links e to its log, reads the log to its end and starts the
// follower. It runs in Open, after the first view is published.
func (e *Engine) openReplica() error {
	e.repl.log = e.cfg.log
	e.repl.logger = e.cfg.persist.logger
	if e.repl.logger == nil {
		e.repl.logger = slog.Default()
	}
	e.writeMu.Lock()
	err := e.startReplica(context.Background())
	e.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("grantdb: open: read the log: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.repl.cancel, e.repl.done = cancel, make(chan struct{})
	go e.follow(ctx)
	return nil
}

// stopReplica stops the follower and waits for it. Close calls it before it
// takes writeMu, which the follower takes to apply a record.
func (e *Engine) stopReplica() {
	if e.repl.cancel == nil {
		return
	}
	e.repl.cancel()
	<-e.repl.done
}

// follow applies the records other replicas append, in log order, until
// ctx ends. A log that fails is followed again after followRetry, from the
// last record applied.
func (e *Engine) follow(ctx context.Context) {
	defer close(e.repl.done)
	for ctx.Err() == nil {
		e.writeMu.Lock()
		after, failed := e.repl.seq, e.repl.failed
		e.writeMu.Unlock()
		if failed != nil {
			return
		}
		broke := false
		for rec, err := range e.repl.log.Follow(ctx, after) {
			if err != nil {
				if ctx.Err() == nil {
					e.repl.logger.Warn("grantdb: following the log failed; retrying", "after", after, "error", err)
				}
				broke = true
				break
			}
			e.writeMu.Lock()
			_, err := e.applyRecord(rec)
			e.writeMu.Unlock()
			if err != nil {
				return // applyRecord logged it and refuses writes from now on
			}
		}
		if !broke {
			continue // a quiet spell ended the following: follow again at once
		}
		select {
		case <-ctx.Done():
		case <-time.After(followRetry):
		}
	}
}

// catchUp applies every record the log holds after the last one applied
// and returns how many it applied. It runs under writeMu.
func (e *Engine) catchUp(ctx context.Context) (int, error) {
	n := 0
	for {
		recs, err := e.repl.log.Read(ctx, e.repl.seq)
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			return n, nil
		}
		for _, rec := range recs {
			applied, err := e.applyRecord(rec)
			if err != nil {
				return n, err
			}
			if applied.Revision != 0 {
				n++
			}
		}
	}
}

// commitLogged is commit for a replicated engine: fill runs on the applied
// state, its changes become a record appended on condition that the log
// holds nothing more, and the record is applied like any other replica's.
// It runs under writeMu.
func (e *Engine) commitLogged(ctx context.Context, fill func(tx *store.WriteTxn) error) (store.ChangeSet, error) {
	if e.repl.failed != nil {
		return store.ChangeSet{}, e.repl.failed
	}
	for attempt := 1; ; attempt++ {
		cs, err := e.pending(fill)
		if err != nil {
			// A refusal (not found, duplicate) may come from a state
			// behind the log: it stands only once this replica has
			// caught up. Bad input stands whatever the state.
			if errors.Is(err, model.ErrValidation) || ctx.Err() != nil {
				return store.ChangeSet{}, err
			}
			if n, cerr := e.catchUp(ctx); cerr != nil || n == 0 || attempt >= maxLogAttempts {
				return store.ChangeSet{}, err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return store.ChangeSet{}, err
		}
		if emptyChanges(cs) {
			return store.ChangeSet{Revision: e.Revision()}, nil
		}
		rec := e.encodeRecord(cs)
		seq, err := e.repl.log.Append(ctx, e.repl.seq, rec)
		switch {
		case err == nil:
			return e.applyRecord(LogRecord{Seq: seq, Record: rec})
		case !errors.Is(err, ErrLogConflict):
			return store.ChangeSet{}, fmt.Errorf("%w: %w", ErrNotReplicated, err)
		case attempt >= maxLogAttempts:
			return store.ChangeSet{}, model.NewError(model.CodeConflict, "",
				"grantdb: the write lost the race to append to the log %d times", attempt)
		}
		if _, err := e.catchUp(ctx); err != nil {
			return store.ChangeSet{}, fmt.Errorf("%w: catching up after a conflict: %w", ErrNotReplicated, err)
		}
	}
}

// pending runs fill in a write transaction and returns what it wrote,
// leaving the store as it was: the log, not this call, decides whether and
// when the commit lands.
func (e *Engine) pending(fill func(tx *store.WriteTxn) error) (store.ChangeSet, error) {
	tx := e.store.Write()
	defer tx.Abort()
	if err := fill(tx); err != nil {
		return store.ChangeSet{}, err
	}
	return tx.Pending(), nil
}

func emptyChanges(cs store.ChangeSet) bool {
	return len(cs.Grants) == 0 && len(cs.Memberships) == 0 && len(cs.Links) == 0 && len(cs.Jobs) == 0
}

// encodeRecord returns the log record of cs. The buffer is reused: the
// record is valid until the next call (under writeMu).
func (e *Engine) encodeRecord(cs store.ChangeSet) []byte {
	b := append(e.repl.buf[:0], recordCommit)
	b = disk.EncodeCommit(b, cs, e.clock())
	e.repl.buf = b
	return b
}

// decodeRecord reads a record written by encodeRecord.
func decodeRecord(b []byte) (store.ChangeSet, time.Time, error) {
	if len(b) == 0 || b[0] != recordCommit {
		return store.ChangeSet{}, time.Time{}, errors.New("not a commit record of this version")
	}
	return disk.DecodeCommit(b[1:])
}

// applyRecord applies one record of the log, through the same path as a
// journal replay, as the next revision, and publishes it. A record this
// replica has applied already is skipped (an empty change set). A record
// that cannot be decoded or does not follow the state means this replica
// no longer holds what the log says: it applies and writes nothing more.
// It runs under writeMu.
func (e *Engine) applyRecord(rec LogRecord) (store.ChangeSet, error) {
	if rec.Seq <= e.repl.seq {
		return store.ChangeSet{}, nil
	}
	cs, at, err := decodeRecord(rec.Record)
	if err == nil {
		// The writer filled the commit on the state of every record
		// before it (its append was conditional on that), so the
		// revision it carries is the one every replica gives it. Any
		// other is a gap (the log was trimmed past this replica) or a
		// log of another database.
		err = checkFollows(cs.Revision, e.store.Snapshot().Revision())
	}
	if err == nil {
		var snap *store.Snapshot
		if cs, snap, err = e.store.ReplayCommit(cs); err == nil {
			e.repl.seq = rec.Seq
			e.seedIDs(cs)
			// A replica with a directory journals what it applies, so
			// that its next Open starts from there (replica_path.go).
			if err = e.journal(cs, at, snap); err == nil {
				e.publish(cs, snap, at)
				return cs, nil
			}
		}
	}
	e.repl.failed = fmt.Errorf("grantdb: log record %d: %w; this replica applies and writes nothing more", rec.Seq, err)
	e.repl.logger.Error("grantdb: a log record does not apply", "seq", rec.Seq, "error", err)
	return store.ChangeSet{}, e.repl.failed
}

// checkFollows says why a record of revision rev does not follow a state at
// revision cur, or nil when it does.
func checkFollows(rev, cur uint64) error {
	switch {
	case rev == cur+1:
		return nil
	case rev > cur+1:
		return fmt.Errorf("%w: the record is revision %d, this replica is at %d", errLogTrimmed, rev, cur)
	default:
		return fmt.Errorf("the record is revision %d, this replica is at %d: the log is not this database's", rev, cur)
	}
}

// seedIDs makes every id this replica draws from now on sort after the ids
// of cs: a write appended after this record draws ids no record before it
// holds, so ids stay unique across replicas without coordination.
func (e *Engine) seedIDs(cs store.ChangeSet) {
	for _, gc := range cs.Grants {
		e.ids.seed(gc.Grant.ID)
	}
	for _, jc := range cs.Jobs {
		if jc.Job != nil {
			e.jobs.ids.seed(GrantIDPrefix + strings.TrimPrefix(jc.Job.ID, JobIDPrefix))
		}
	}
}
