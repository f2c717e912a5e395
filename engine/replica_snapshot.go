package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// Snapshots beside the log (docs/design.md §2.13): a replica that starts
// with nothing (no directory, or an empty one), or whose local copy the
// log was trimmed past, loads the newest snapshot and reads the log after
// it. The engine knows no snapshot store of its own: a Log that also keeps
// snapshots implements SnapshotStore (cluster's log keeps them in a
// JetStream object store).

// SnapshotStore is what a Log also implements when it keeps snapshots of
// the database beside its records. A snapshot is opaque to the store: the
// engine writes it and reads it back.
type SnapshotStore interface {
	// PutSnapshot stores the snapshot described by info, read from r to
	// its end, and returns once it is stored; a store may drop older
	// snapshots then, and trim its log below this one.
	PutSnapshot(ctx context.Context, info SnapshotInfo, r io.Reader) error
	// LatestSnapshot describes the newest snapshot stored; found is false
	// when there is none.
	LatestSnapshot(ctx context.Context) (info SnapshotInfo, found bool, err error)
	// OpenSnapshot returns the bytes of the snapshot info describes, as
	// PutSnapshot was given them.
	OpenSnapshot(ctx context.Context, info SnapshotInfo) (io.ReadCloser, error)
}

// SnapshotInfo describes a snapshot of a replicated database: the state
// once the log's records up to sequence Seq are applied, which is revision
// Revision.
type SnapshotInfo struct {
	Seq      uint64
	Revision uint64
}

// PublishSnapshot stores a snapshot of the published revision in the log's
// snapshot store (the log given to WithLog must implement SnapshotStore,
// else ErrValidation), so that a replica that starts empty, or finds the
// log trimmed past its local copy, loads it and reads the log after it.
// Writers are not blocked while it is written. It returns what the newest
// snapshot now is: this one, or a newer one another replica stored, in
// which case it stores nothing. A replica with a directory also publishes
// one after each checkpoint. At revision 0 there is nothing to publish.
func (e *Engine) PublishSnapshot(ctx context.Context) (SnapshotInfo, error) {
	if e.closed.Load() {
		return SnapshotInfo{}, closedError()
	}
	if err := ctx.Err(); err != nil {
		return SnapshotInfo{}, err
	}
	ss, ok := e.cfg.log.(SnapshotStore)
	if !ok {
		return SnapshotInfo{}, model.NewError(model.CodeValidation, "",
			"grantdb: the engine has no log that keeps snapshots (WithLog with a SnapshotStore)")
	}
	return publishView(ctx, ss, e.current.Load())
}

// publishView stores a snapshot of v in ss unless the newest one stored is
// as new, and returns the newest.
func publishView(ctx context.Context, ss SnapshotStore, v *view) (SnapshotInfo, error) {
	info := SnapshotInfo{Seq: v.seq, Revision: v.snap.Revision()}
	if info.Seq == 0 {
		return info, nil
	}
	latest, found, err := ss.LatestSnapshot(ctx)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("grantdb: publish a snapshot: the newest stored: %w", err)
	}
	if found && latest.Seq >= info.Seq {
		return latest, nil
	}
	tmp, err := os.MkdirTemp("", "grantdb-publish-")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("grantdb: publish a snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "db")
	if err := disk.WriteSnapshotDirWithHighWater(ctx, v.snap, dir, v.ids.id()); err != nil {
		return SnapshotInfo{}, fmt.Errorf("grantdb: publish a snapshot of revision %d: %w", info.Revision, err)
	}
	pr, pw := io.Pipe()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		pw.CloseWithError(writeTar(pw, dir))
	}()
	err = ss.PutSnapshot(ctx, info, pr)
	pr.CloseWithError(errors.New("grantdb: the snapshot store stopped reading"))
	<-wrote
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("grantdb: publish a snapshot of revision %d: %w", info.Revision, err)
	}
	return info, nil
}

// joinFromSnapshot replaces the state Open loaded by the snapshot info
// describes, read from ss, and publishes it. A replica with a directory
// gets the snapshot as its directory, in place of its copy. It runs in
// Open, under writeMu, before anyone reads.
func (e *Engine) joinFromSnapshot(ctx context.Context, ss SnapshotStore, info SnapshotInfo) error {
	rc, err := ss.OpenSnapshot(ctx, info)
	if err != nil {
		return fmt.Errorf("snapshot of revision %d: %w", info.Revision, err)
	}
	defer rc.Close()
	path := e.cfg.persist.path
	tmp := filepath.Clean(path) + ".grantdb-join"
	if path == "" {
		if tmp, err = os.MkdirTemp("", "grantdb-join-"); err != nil {
			return err
		}
	} else if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := readTar(rc, tmp); err != nil {
		return fmt.Errorf("snapshot of revision %d: %w", info.Revision, err)
	}
	st, err := store.New()
	if err != nil {
		return err
	}
	var snap *store.Snapshot
	var idx *resolve.Index
	if path == "" {
		snap, idx, err = e.loadSnapshotDir(st, tmp)
	} else {
		// The directory is a database Open loaded: grantdb's files only.
		// It becomes the snapshot whole (a crash in between leaves it
		// missing, and the next Open joins again).
		if err := e.closeDurable(); err != nil {
			return err
		}
		e.disk = durable{}
		e.changes = changeWindow{retention: e.cfg.changeRetention}
		if err := os.RemoveAll(path); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		snap, idx, err = e.openDurable(st)
	}
	if err != nil {
		return fmt.Errorf("snapshot of revision %d: %w", info.Revision, err)
	}
	if snap.Revision() != info.Revision {
		return fmt.Errorf("the snapshot said revision %d and holds revision %d", info.Revision, snap.Revision())
	}
	if err := e.checkStoredTypes(snap); err != nil {
		return err
	}
	e.store = st
	e.ids.seed(snap.Read().MaxGrantID())
	e.current.Store(&view{snap: snap, index: idx, ids: e.ids.mark(), seq: info.Seq})
	return nil
}

// loadSnapshotDir loads the snapshot directory dir into st, for a replica
// without a directory of its own.
func (e *Engine) loadSnapshotDir(st *store.Store, dir string) (*store.Snapshot, *resolve.Index, error) {
	d, err := disk.Open(dir, disk.Options{Sync: SyncNever, Logger: e.repl.logger})
	if err != nil {
		return nil, nil, err
	}
	_, err = d.Load(st)
	e.ids.seed(d.GrantIDHighWater())
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	snap := st.Snapshot()
	idx, err := resolve.Build(snap)
	return snap, idx, err
}

// writeTar writes the regular files of dir to w as a tar archive: the form
// of a snapshot in a SnapshotStore.
func writeTar(w io.Writer, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		if err := addTarFile(tw, filepath.Join(dir, ent.Name())); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addTarFile(tw *tar.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fi.Name(), Mode: 0o644, Size: fi.Size()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// readTar writes the files of the tar archive r into dir, a new directory.
// Only plain files with plain names are taken: a snapshot never writes
// outside dir, whatever the store gives back.
func readTar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a snapshot archive: %w", err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return fmt.Errorf("not a snapshot archive: entry %q", name)
		}
		if err := writeSynced(filepath.Join(dir, name), tr); err != nil {
			return err
		}
	}
}

func writeSynced(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
