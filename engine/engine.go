package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// Engine is an embedded access-grant engine. It is safe for concurrent use by
// any number of goroutines: writes are serialised, and reads run on the last
// published revision without waiting for writes.
type Engine struct {
	cfg   config
	val   *model.Validator
	store *store.Store

	// writeMu is the one write path: open, fill, commit, publish, in order.
	writeMu sync.Mutex
	ids     idGen

	// current is what readers see: one revision, whole.
	current atomic.Pointer[view]
	closed  atomic.Bool

	// jobs runs bulk access jobs in the background (see jobs_runner.go).
	jobs jobRunners
	// expiry sweeps grants whose window has ended (expiry.go).
	expiry expirer
	// disk is the database directory of a durable engine (persist_dir.go).
	disk durable
	// changes is the retained change feed (change_window.go); published
	// wakes WaitRevision and Watch at each commit (revision.go).
	changes   changeWindow
	published revisionSignal
	// repl links a replica to its shared log (replica.go).
	repl replica
	// lead runs a replica's background work while it holds its lease
	// (lease.go).
	lead leader
	// early is the index being derived from the change set of the
	// transaction being filled, started by the fill itself (deriveEarly),
	// and earlyN how many changes that set had; under writeMu.
	early  *derivedIndex
	earlyN int
}

// view is one published revision: the store snapshot of that revision and
// the resolve index derived from it, always of the same revision. A nil index
// is the empty index (an engine that has committed nothing yet).
type view struct {
	snap  *store.Snapshot
	index *resolve.Index
	// ids is the grant id generator's position when the view was published:
	// it covers every id in snap and every id of a grant deleted before it,
	// so Snapshot can give a copy the high-water that keeps ids unique.
	ids idMark
	// seq is, on a replica, the sequence of the log record of this
	// revision (0 before any): where a snapshot of snap continues the log.
	seq uint64
}

// Open returns an engine configured by opts. With no options it keeps
// everything in memory and allows any well-formed entity type. With
// WithPath it loads the database directory first (the newest snapshot, then
// the journal after it), continues its revisions and grant ids, and resumes
// the jobs that had not ended; a directory open elsewhere is ErrLocked, a
// damaged one an error naming the file and what is wrong. WithPath("") is
// ErrValidation, and so is a database holding grants on entity types that
// WithEntityTypes leaves out (the error names them).
func Open(opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	if err := checkLease(&cfg); err != nil {
		return nil, err
	}
	val, err := model.NewValidator(cfg.entityTypes...)
	if err != nil {
		return nil, err
	}
	st, err := store.New()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, val: val, store: st}
	e.changes.retention = cfg.changeRetention
	snap := st.Snapshot()
	var idx *resolve.Index
	if cfg.persist.path != "" {
		if snap, idx, err = e.openDurable(st); err != nil {
			return nil, err
		}
		if err := e.checkStoredTypes(snap); err != nil {
			_ = e.closeDurable()
			return nil, fmt.Errorf("grantdb: open: %w", err)
		}
	}
	e.ids.seed(snap.Read().MaxGrantID())
	e.current.Store(&view{snap: snap, index: idx, ids: e.ids.mark()})
	if cfg.lease != nil {
		e.initLeader() // before the log's first record is applied
	}
	if cfg.log != nil {
		if err := e.openReplica(); err != nil {
			_ = e.closeDurable() // releases a replica's directory
			return nil, err
		}
	}
	if cfg.lease != nil {
		// The holder of the lease sweeps and runs (and resumes) the jobs.
		e.startLeader()
		return e, nil
	}
	e.startSweeper()
	// A replica's unfinished jobs may be running on the replica that
	// submitted them: resuming them here would run them twice.
	if e.disk.dir != nil && e.repl.log == nil {
		if err := e.resumeJobs(); err != nil {
			_ = e.Close()
			return nil, fmt.Errorf("grantdb: resume jobs: %w", err)
		}
	}
	return e, nil
}

// Close stops the engine. It waits for a write in progress to finish; every
// call after Close returns ErrClosed, and so does a second Close. A running
// job stops between steps, to be resumed by the next Open of a durable
// engine. A durable engine then stops a checkpoint in progress (the journal
// still holds what it would have covered), closes its files and releases
// the directory; Close returns the journal's failure, if writes had failed.
func (e *Engine) Close() error {
	e.stopLeader()  // before writeMu, which its sweep or job step takes; gives the lease up
	e.stopSweeper() // before writeMu: a sweep in progress holds it
	e.stopReplica() // so does the follower applying a record
	e.writeMu.Lock()
	already := e.closed.Swap(true)
	e.writeMu.Unlock()
	e.published.close() // waiters see the engine closed
	// After the lock is released: running jobs see the engine closed at
	// their next commit and stop.
	e.jobs.stop()
	if already {
		return closedError()
	}
	return e.closeDurable()
}

func closedError() error {
	return model.NewError(model.CodeClosed, "", "grantdb: engine is closed")
}

// clock returns the engine's time in UTC.
func (e *Engine) clock() time.Time { return e.cfg.now().UTC() }

// admit checks what every call on org needs: the engine is open, the
// context is live and org is valid. read and write call it; a write method
// that does work before write (validating and sorting a batch outside the
// lock) calls it first too, so that a bad org is refused before that work.
func (e *Engine) admit(ctx context.Context, org string) error {
	if err := e.live(ctx); err != nil {
		return err
	}
	return e.val.Org(org)
}

// live is admit without the org: the engine is open and ctx is live. Check
// uses it, and validates the org only when its lookups found nothing.
func (e *Engine) live(ctx context.Context) error {
	if e.closed.Load() {
		return closedError()
	}
	return ctx.Err()
}

// read returns the published revision for a read call on org, once admit
// lets it in.
func (e *Engine) read(ctx context.Context, org string) (*view, error) {
	if err := e.admit(ctx, org); err != nil {
		return nil, err
	}
	return e.current.Load(), nil
}

// write is the write path of a call on org: once admit lets it in, commit
// runs fill. Every write method goes through it, so none can skip the
// checks.
func (e *Engine) write(ctx context.Context, org string, fill func(tx *store.WriteTxn) error) (store.ChangeSet, error) {
	if err := e.admit(ctx, org); err != nil {
		return store.ChangeSet{}, err
	}
	return e.commit(ctx, fill)
}

// commit runs fill in a write transaction and, when it returns nil, commits
// it, journals it (a durable engine) and publishes the new revision. On any
// error nothing is published; an error of the journal also refuses every
// later write (see ErrWriteFailed). Calls on an org go through write; commit
// alone is for the engine's own work across orgs (the expiry sweep).
func (e *Engine) commit(ctx context.Context, fill func(tx *store.WriteTxn) error) (store.ChangeSet, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	defer e.dropEarly()
	if e.closed.Load() {
		return store.ChangeSet{}, closedError()
	}
	if err := e.writeRefused(); err != nil {
		return store.ChangeSet{}, err
	}
	if e.repl.log != nil {
		return e.commitLogged(ctx, fill)
	}
	tx := e.store.Write()
	defer tx.Abort()
	if err := fill(tx); err != nil {
		return store.ChangeSet{}, err
	}
	// A context cancelled while the transaction was filled stops it before
	// it commits: the store stays as it was.
	if err := ctx.Err(); err != nil {
		return store.ChangeSet{}, err
	}
	// The index of the new revision is derived from the change set on the
	// other core while the store commits (the side indexes of a batch are
	// made then) and the journal is written; it is published only with the
	// snapshot it was derived for, and dropped on an error.
	cur := e.current.Load()
	pending := tx.Pending()
	n := changeCount(&pending)
	derived := e.takeEarly(n)
	if derived == nil {
		derived = deriveIndex(cur.index, pending, n)
	}
	cs, snap := tx.Commit()
	// One time for the commit: the journal records it and the change feed
	// serves it, before and after a restart alike.
	at := e.clock()
	if snap != cur.snap {
		// On disk before any reader sees it, and before the call returns.
		if err := e.journal(cs, at, snap); err != nil {
			derived.wait()
			return store.ChangeSet{}, err
		}
	}
	// The change feed's parts of a large commit are packed on this core
	// while the other may still derive the index.
	parts := splitByOrg(cs, at)
	e.publishIndex(cs, parts, snap, at, derived.wait())
	return cs, nil
}

// asyncIndexAt is how many changes a commit has before its index is derived
// on another goroutine: below it, starting one costs more than it saves.
const asyncIndexAt = 1024

// derivedIndex is the resolve index of a commit, being derived.
type derivedIndex struct {
	idx  *resolve.Index
	done chan struct{} // nil: derived already (or nothing to derive)
}

// deriveIndex derives from cur the index of the commit of cs, of n changes:
// on another goroutine when they are many, at once otherwise; an empty
// change set derives nothing (a nil index: publish keeps the current one).
func deriveIndex(cur *resolve.Index, cs store.ChangeSet, n int) *derivedIndex {
	d := &derivedIndex{}
	switch {
	case n == 0:
	case n < asyncIndexAt:
		d.idx = cur.Apply(cs)
	default:
		d.done = make(chan struct{})
		go func() {
			defer close(d.done)
			d.idx = cur.Apply(cs)
		}()
	}
	return d
}

// deriveEarly starts deriving the index of tx's commit from its change set
// as it is now, while the fill goes on to store what it staged (BulkCreate:
// the store's inserts and side indexes, which the index does not need). The
// commit uses it when the change set has not grown since, and derives again
// otherwise. It runs under writeMu, in a fill; a replica's fill derives
// nothing early (its commit is the log's).
func (e *Engine) deriveEarly(tx *store.WriteTxn) {
	if e.repl.log != nil {
		return
	}
	e.dropEarly()
	pending := tx.Pending()
	e.earlyN = changeCount(&pending)
	e.early = deriveIndex(e.current.Load().index, pending, e.earlyN)
}

// takeEarly returns the index deriveEarly started, if it was started from
// all n changes of the commit; nil otherwise.
func (e *Engine) takeEarly(n int) *derivedIndex {
	d := e.early
	if d == nil || e.earlyN != n {
		e.dropEarly()
		return nil
	}
	e.early = nil
	return d
}

// dropEarly drops the index deriveEarly started, once its goroutine is done.
func (e *Engine) dropEarly() {
	if e.early != nil {
		e.early.wait()
		e.early = nil
	}
}

// changeCount is how many rows cs writes or deletes.
func changeCount(cs *store.ChangeSet) int {
	return len(cs.Grants) + len(cs.Memberships) + len(cs.Links) + len(cs.Jobs)
}

// wait returns the derived index once it is derived.
func (d *derivedIndex) wait() *resolve.Index {
	if d.done != nil {
		<-d.done
	}
	return d.idx
}

// publish derives what readers need from a commit made at at and makes the
// new revision visible, whole. It runs under writeMu, in commit order.
func (e *Engine) publish(cs store.ChangeSet, snap *store.Snapshot, at time.Time) {
	if e.current.Load().snap == snap {
		return // the transaction wrote nothing: the published view is current
	}
	e.publishIndex(cs, splitByOrg(cs, at), snap, at, e.current.Load().index.Apply(cs))
}

// publishIndex is publish given idx, the index derived from cs, and parts,
// cs split for the change feed by splitByOrg (both unused when the
// transaction wrote nothing).
func (e *Engine) publishIndex(cs store.ChangeSet, parts []orgPart, snap *store.Snapshot, at time.Time, idx *resolve.Index) {
	cur := e.current.Load()
	if cur.snap == snap {
		return // the transaction wrote nothing: the published view is current
	}
	// The index of the new revision is derived before it is published, so a
	// reader never sees the snapshot of one revision with the index of another.
	e.changes.addParts(cs.Revision, parts)
	e.current.Store(&view{snap: snap, index: idx, ids: e.ids.mark(), seq: e.repl.seq})
	e.published.notify()
	e.noteJobs(cs)
}
