package engine

import (
	"context"
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
	now   func() time.Time
	store *store.Store

	// writeMu is the one write path: open, fill, commit, publish, in order.
	writeMu sync.Mutex
	ids     idGen

	// current is what readers see: one revision, whole.
	current atomic.Pointer[view]
	closed  atomic.Bool

	// jobs runs bulk access jobs in the background (see jobs_runner.go).
	jobs jobRunners
	// expiry tracks grants by their end and sweeps ended ones (expiry.go).
	expiry expirer
}

// view is one published revision: the store snapshot of that revision and
// the resolve index derived from it, always of the same revision. A nil index
// is the empty index (an engine that has committed nothing yet).
type view struct {
	snap  *store.Snapshot
	index *resolve.Index
}

// Open returns an engine configured by opts. With no options it keeps
// everything in memory and allows any well-formed entity type.
func Open(opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	val, err := model.NewValidator(cfg.entityTypes...)
	if err != nil {
		return nil, err
	}
	st, err := store.New()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, val: val, now: cfg.now, store: st}
	snap := st.Snapshot()
	e.ids.seed(snap.Read().MaxGrantID())
	e.current.Store(&view{snap: snap})
	e.startSweeper()
	return e, nil
}

// Close stops the engine. It waits for a write in progress to finish; every
// call after Close returns ErrClosed, and so does a second Close.
func (e *Engine) Close() error {
	// Runs last, after the lock is released: running jobs see the engine
	// closed at their next commit and stop.
	defer e.jobs.stop()
	e.stopSweeper() // before writeMu: a sweep in progress holds it
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.closed.Swap(true) {
		return closedError()
	}
	return nil
}

func closedError() error {
	return model.NewError(model.CodeClosed, "", "grantdb: engine is closed")
}

// clock returns the engine's time in UTC.
func (e *Engine) clock() time.Time { return e.now().UTC() }

// read returns the published revision for a read call, after checking the
// engine is open, the context is live and org is valid.
func (e *Engine) read(ctx context.Context, org string) (*view, error) {
	if e.closed.Load() {
		return nil, closedError()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.val.Org(org); err != nil {
		return nil, err
	}
	return e.current.Load(), nil
}

// write runs fill in a write transaction and, when it returns nil, commits
// and publishes the new revision. On any error nothing is committed.
func (e *Engine) write(ctx context.Context, fill func(tx *store.WriteTxn) error) (store.ChangeSet, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.closed.Load() {
		return store.ChangeSet{}, closedError()
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
	cs, snap := tx.Commit()
	e.publish(cs, snap)
	return cs, nil
}

// publish derives what readers need from a commit and makes the new revision
// visible, whole. It runs under writeMu, in commit order.
func (e *Engine) publish(cs store.ChangeSet, snap *store.Snapshot) {
	cur := e.current.Load()
	if cur.snap == snap {
		return // the transaction wrote nothing: the published view is current
	}
	// The index of the new revision is derived before it is published, so a
	// reader never sees the snapshot of one revision with the index of another.
	e.expiry.observe(cs)
	e.current.Store(&view{snap: snap, index: cur.index.Apply(cs)})
}
