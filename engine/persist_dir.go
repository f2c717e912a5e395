package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// durableDir is what the engine uses of a *disk.Dir once it is loaded; tests
// wrap it to inject failures.
type durableDir interface {
	Append(cs store.ChangeSet, at time.Time) error
	SinceCheckpoint() (commits int, bytes int64)
	Checkpoint(ctx context.Context, snap *store.Snapshot) error
	Close() error
}

var _ durableDir = (*disk.Dir)(nil)

// durable is a durable engine's link to its database directory. Its zero
// value (no dir) is an in-memory engine's.
type durable struct {
	dir durableDir
	log *slog.Logger
	// failed is the journal failure that stopped publishing: every write
	// after it returns it. Guarded by the engine's writeMu.
	failed error

	// ckpt* run the background checkpoint: at most one at a time, cancelled
	// and waited for by Close.
	ckptCtx     context.Context
	ckptCancel  context.CancelFunc
	ckptWG      sync.WaitGroup
	ckptRunning atomic.Bool
}

// openDurable loads the database directory of cfg into st, a new store, and
// links e to it. It returns the snapshot of the loaded revision and the
// index derived from it, for Open to publish.
func (e *Engine) openDurable(st *store.Store) (*store.Snapshot, *resolve.Index, error) {
	pc := e.cfg.persist
	log := pc.logger
	if log == nil {
		log = slog.Default()
	}
	// The commits replayed from the journal feed the change window, with
	// the times they were made at, so that a reopened engine serves Changes
	// and Watch for them (the window keeps the last retention of them).
	// Checkpoints keep the journal of the last retention commits, so that
	// the feed survives them too.
	// The index is built from the snapshot's rows on another goroutine while
	// the store indexes them (disk.Options.OnSnapshot), and the commits
	// replayed after the snapshot are applied to it in order once it is
	// done, as the write path applies each commit.
	ib := &indexBuild{}
	d, err := disk.Open(pc.path, disk.Options{Sync: pc.sync, Logger: log, CutCorruptTail: pc.cutTail,
		OnReplay: func(cs store.ChangeSet, at time.Time) {
			e.changes.add(cs, at)
			ib.replayed(cs)
		},
		OnSnapshot:  ib.start,
		KeepCommits: e.changes.limit()})
	if err != nil {
		return nil, nil, fmt.Errorf("grantdb: open: %w", err) // err names the path
	}
	if _, err := d.Load(st); err != nil {
		ib.wait()
		_ = d.Close()
		return nil, nil, fmt.Errorf("grantdb: load %s: %w", pc.path, err)
	}
	// The high-water also covers ids of grants deleted since: an id is never
	// drawn twice. Job ids are seeded from the stored jobs at the first
	// SubmitJob (jobRunners.nextID); jobs are never deleted.
	e.ids.seed(d.GrantIDHighWater())
	snap := st.Snapshot()
	idx := ib.wait()
	if idx == nil {
		// No snapshot: the journal alone made the store.
		if idx, err = resolve.Build(snap); err != nil {
			_ = d.Close()
			return nil, nil, fmt.Errorf("grantdb: load %s: index: %w", pc.path, err)
		}
	}
	var dir durableDir = d
	if pc.dirHook != nil {
		dir = pc.dirHook(dir)
	}
	e.disk.dir, e.disk.log = dir, log
	e.disk.ckptCtx, e.disk.ckptCancel = context.WithCancel(context.Background())
	return snap, idx, nil
}

// journal writes the commit cs, made at at, whose snapshot is snap, to the database
// directory before it is published, then starts a checkpoint when one is
// due. It runs under writeMu, only for commits that wrote something. After
// a failure the engine publishes nothing more: the store has committed a
// revision that is not acknowledged, so readers must never see it, nor any
// later write build on it.
func (e *Engine) journal(cs store.ChangeSet, at time.Time, snap *store.Snapshot) error {
	if e.disk.dir == nil {
		return nil
	}
	if err := e.disk.dir.Append(cs, at); err != nil {
		e.disk.failed = fmt.Errorf("grantdb: journal revision %d: %w", cs.Revision, err)
		return e.disk.failed
	}
	e.maybeCheckpoint(snap)
	return nil
}

// writeRefused is the error that refuses a write after a journal failure,
// or nil. It runs under writeMu.
func (e *Engine) writeRefused() error {
	if e.disk.failed == nil {
		return nil
	}
	return fmt.Errorf("grantdb: writes are refused until the engine is reopened: %w", e.disk.failed)
}

// maybeCheckpoint starts a background checkpoint of snap (just journalled)
// when the journal has grown past a threshold since the last one and none
// is running. It runs under writeMu, so it never races Close's wait.
func (e *Engine) maybeCheckpoint(snap *store.Snapshot) {
	pc := &e.cfg.persist
	if e.disk.ckptRunning.Load() || pc.ckptRecords <= 0 && pc.ckptBytes <= 0 {
		return
	}
	n, b := e.disk.dir.SinceCheckpoint()
	if (pc.ckptRecords <= 0 || n < pc.ckptRecords) && (pc.ckptBytes <= 0 || b < pc.ckptBytes) {
		return
	}
	e.disk.ckptRunning.Store(true)
	e.disk.ckptWG.Add(1)
	// A replica publishes the snapshot of its checkpoint for replicas that
	// start empty; v is what publishing needs of the revision being
	// published (its sequence in the log is applied already).
	v := &view{snap: snap, ids: e.ids.mark(), seq: e.repl.seq}
	go func() {
		defer e.disk.ckptWG.Done()
		ctx := e.disk.ckptCtx
		err := e.disk.dir.Checkpoint(ctx, snap)
		// A failed checkpoint costs replay time, not data: the journal it
		// would have replaced is still there. Checkpoint resets the counts
		// when it starts, so the next try waits for another threshold.
		if err != nil && ctx.Err() == nil {
			e.disk.log.Error("grantdb: checkpoint failed; the journal is kept and the checkpoint retried later",
				"revision", snap.Revision(), "error", err)
		}
		if ss, ok := e.cfg.log.(SnapshotStore); ok && err == nil {
			if _, err := publishView(ctx, ss, v); err != nil && ctx.Err() == nil {
				e.disk.log.Warn("grantdb: publishing the checkpoint's snapshot failed; the next checkpoint publishes one",
					"revision", snap.Revision(), "error", err)
			}
		}
		e.disk.ckptRunning.Store(false)
	}()
}

// closeDurable stops a running checkpoint, waits for it, and closes the
// directory, releasing its lock. The engine is already closed to writes.
// It returns the journal's failure, if writes had failed.
func (e *Engine) closeDurable() error {
	if e.disk.dir == nil {
		return nil
	}
	e.disk.ckptCancel()
	e.disk.ckptWG.Wait()
	if err := e.disk.dir.Close(); err != nil {
		return fmt.Errorf("grantdb: close %s: %w", e.cfg.persist.path, err)
	}
	return nil
}

// Snapshot writes a point-in-time copy of the engine's current revision (the
// last one readers see) into the directory path, which must be missing or
// empty; Open(WithPath(path)) then opens it at that revision. Writers are
// not blocked while it is written, and later writes are not in it. It works
// for an in-memory engine too (a way to make it durable). The copy continues
// the engine's grant ids: its new ids sort after every id the engine had
// drawn, including ids of grants revoked before the copy. A cancelled ctx
// stops it, leaving path without a snapshot.
func (e *Engine) Snapshot(ctx context.Context, path string) error {
	if e.closed.Load() {
		return closedError()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if path == "" {
		return model.NewError(model.CodeValidation, "path", "snapshot path must not be empty")
	}
	v := e.current.Load()
	snap := v.snap
	// The copy carries the id high-water of the view, not only the greatest
	// id it holds: ids of grants revoked before it must never be drawn
	// again, even by a copy whose clock is behind ours.
	if err := disk.WriteSnapshotDirWithHighWater(ctx, snap, path, v.ids.id()); err != nil {
		return fmt.Errorf("grantdb: snapshot of revision %d to %s: %w", snap.Revision(), path, err)
	}
	return nil
}

// indexBuild derives the loaded revision's index from a snapshot's rows while
// the store indexes them, then applies the commits replayed after it. Load
// calls start and replayed on its own goroutine, one after the other.
type indexBuild struct {
	rev   uint64
	done  chan *resolve.Index
	after []store.ChangeSet
}

// start begins building the index of rows, the snapshot's.
func (b *indexBuild) start(rows store.ChangeSet) {
	b.rev = rows.Revision
	b.done = make(chan *resolve.Index, 1)
	go func() { b.done <- (*resolve.Index)(nil).Apply(rows) }()
}

// replayed notes a commit replayed from the journal; those the snapshot
// holds already (kept for the change feed) are not applied again.
func (b *indexBuild) replayed(cs store.ChangeSet) {
	if b.done != nil && cs.Revision > b.rev {
		b.after = append(b.after, cs)
	}
}

// wait returns the index of the snapshot with the replayed commits applied,
// or nil when Load read no snapshot.
func (b *indexBuild) wait() *resolve.Index {
	if b.done == nil {
		return nil
	}
	idx := <-b.done
	for _, cs := range b.after {
		idx = idx.Apply(cs)
	}
	b.after = nil
	return idx
}
