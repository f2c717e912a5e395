package disk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/grantdb/grantdb/store"
)

// Errors of a database directory, wrapped (with the path and what is wrong)
// by the errors Dir's methods return; match them with errors.Is.
var (
	// ErrLocked: another Dir (in this process or another) has the directory
	// open.
	ErrLocked = errors.New("store: the database directory is in use")
	// ErrNotDatabase: the path is not a directory, holds files that are not
	// ours, or a file is not a grantdb file.
	ErrNotDatabase = errors.New("store: not a grantdb database")
	// ErrCorrupt: a file's record is damaged or missing other than in the
	// tail a crash leaves; the error names the file and the revision.
	ErrCorrupt = errors.New("store: database file is corrupt")
	// ErrUnsupportedFormat: a file was written by a format this build does
	// not read (a newer version).
	ErrUnsupportedFormat = errors.New("store: unsupported file format")
)

// FormatVersion is the version of the file format this package writes
// (doc.go describes it): the version in every snapshot header and MANIFEST
// and the first byte of every journalled change set. Version 3 adds grant
// and job ACL effects (deny), entity links and each commit's time. Version 2
// (rows field by field, without those) is still read, by its own rules, file
// by file and record by record: a version 2 database opens, and what is
// appended to it is written as version 3. Version 1 (written by grantdb
// before package store/disk) wrote the store's in-memory keys, and is
// refused with ErrUnsupportedFormat.
const FormatVersion = 3

// minReadVersion is the oldest format version this package reads.
const minReadVersion = 2

// Defaults of Options.
const (
	DefaultSegmentRecords = 100_000
	DefaultSegmentBytes   = 64 << 20
	DefaultPartBytes      = 4 << 20
)

// Options configures a database directory. Zero fields take the defaults.
type Options struct {
	// Sync is when Append fsyncs. Default: SyncAlways.
	Sync SyncPolicy
	// SegmentRecords and SegmentBytes are how many records, and how many
	// bytes, a journal segment takes before the journal starts a new one.
	// Default: DefaultSegmentRecords, DefaultSegmentBytes.
	SegmentRecords int
	SegmentBytes   int64
	// PartBytes is the largest journal record: a commit whose encoding is
	// larger is written as part records of at most PartBytes each. Default:
	// DefaultPartBytes.
	PartBytes int
	// Logger receives warnings, such as a crash tail cut off the journal.
	// Default: slog.Default().
	Logger *slog.Logger
	// CutCorruptTail makes Load cut off the newest journal segment's last
	// record when it is whole (by its own lengths) but fails its checksum,
	// logging what it cut, instead of failing with ErrCorrupt. Such a
	// record was damaged after it was written, not torn by a crash, so it
	// may hold an acknowledged commit: cutting it is the operator's call.
	// Default: false.
	CutCorruptTail bool
	// OnReplay, when set, is called by Load with each commit it replays
	// from the journal (those after the snapshot), in revision order, with
	// the time it was committed at (the zero time for a commit journalled
	// by format 2, which did not record it), once the store holds it: what
	// a change feed needs to serve the journal's commits after a restart.
	// The change set's rows are the caller's to keep.
	OnReplay func(cs store.ChangeSet, at time.Time)
	// OnSnapshot, when set, is called by Load with the rows of the snapshot
	// it loads (store.Restore.Rows: the rows as the store keeps them, at the
	// snapshot's revision) once they are all in the store and before the
	// store builds its indexes over them, which takes a while: a caller
	// deriving its own index from the rows may build it meanwhile, on
	// another goroutine, instead of scanning the store after Load. The rows
	// are the store's, to read and never change. Commits replayed from the
	// journal after the snapshot then follow through OnReplay.
	OnSnapshot func(rows store.ChangeSet)
	// KeepCommits is how many of the newest commits the journal keeps
	// across checkpoints, for a change feed: a checkpoint (and Load) deletes
	// only the segments whose commits are all in its snapshot and older than
	// the newest KeepCommits. Load reads the kept commits before the
	// snapshot only to hand them to OnReplay (never replaying them), then
	// the commits after it. Disk use
	// grows by about that many commits' worth of journal, rounded up to
	// whole segments. Default: 0, the journal a snapshot covers is deleted.
	KeepCommits int
}

func (o Options) withDefaults() Options {
	if o.SegmentRecords <= 0 {
		o.SegmentRecords = DefaultSegmentRecords
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.PartBytes <= 0 {
		o.PartBytes = DefaultPartBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Dir is an open database directory: the newest snapshot and the journal
// of the commits after it. Use it as
//
//	d, err := disk.Open(path, opts) // lock the directory
//	rev, err := d.Load(s)           // s := store.New(); s is now what the files hold
//	err = d.Append(cs, at)          // after each commit, before publishing it
//	err = d.Checkpoint(ctx, snap)   // now and then, in the background
//	err = d.Close()
//
// Append is called by one goroutine at a time, in revision order;
// Checkpoint may run concurrently with it.
type Dir struct {
	path string
	opts Options
	lock *os.File
	j    *journal

	ckptMu sync.Mutex // one checkpoint at a time

	mu        sync.Mutex
	base      uint64 // revision of the newest snapshot on disk
	highWater string // greatest grant id ever stored
	loaded    bool
	closed    bool
}

// Open opens the database directory at path, creating it when missing, and
// takes its lock. A path that is a file, or a directory holding files that
// are not ours, is refused with ErrNotDatabase; a directory another Dir has
// open, with ErrLocked. Temporary files of an interrupted write are removed.
// Nothing is read until Load.
func Open(path string, opts Options) (*Dir, error) {
	if err := ensureDir(path); err != nil {
		return nil, err
	}
	// Check before locking, so that a foreign directory gets no LOCK file.
	if _, err := listDir(path); err != nil {
		return nil, err
	}
	lock, err := lockDir(path)
	if err != nil {
		return nil, err
	}
	l, err := listDir(path)
	if err == nil {
		for _, name := range l.temps {
			if rerr := os.Remove(filepath.Join(path, name)); rerr != nil && !os.IsNotExist(rerr) {
				err = fmt.Errorf("store: remove temporary file: %w", rerr)
				break
			}
		}
	}
	if err != nil {
		_ = unlockDir(lock)
		return nil, err
	}
	opts = opts.withDefaults()
	d := &Dir{path: path, opts: opts, lock: lock}
	d.j = newJournal(path, &d.opts, opts.Logger)
	return d, nil
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// Load fills s, a store just made by store.New, with what the directory holds:
// the newest snapshot, then every journalled commit after it, in order. It
// returns the revision loaded (0 for a new database), which s is now at.
// A crash tail of the journal is cut off and logged; any other damage is an
// error naming the file (ErrCorrupt, ErrNotDatabase, ErrUnsupportedFormat),
// after which s must be thrown away. Load is called once, before Append.
func (d *Dir) Load(s *store.Store) (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.loaded {
		return 0, errors.New("store: Load of a closed or already loaded Dir")
	}
	if rev := s.Snapshot().Revision(); rev != 0 {
		return 0, fmt.Errorf("store: load into a store at revision %d: it must be new", rev)
	}
	l, err := listDir(d.path)
	if err != nil {
		return 0, err
	}
	var leftovers []string
	switch m, err := readManifest(d.path); {
	case errors.Is(err, errNoManifest):
		// A new directory, or one whose MANIFEST was lost: its files say
		// what there is, and the MANIFEST is written again below.
		if len(l.snapshots)+len(l.segments) > 0 {
			d.opts.Logger.Warn("grantdb: the database directory has no MANIFEST; loading the files it holds",
				"dir", d.path)
		}
	case err != nil:
		return 0, err
	default:
		if l, leftovers, err = checkListing(d.path, l, m); err != nil {
			return 0, err
		}
	}
	var hw string
	hasSnap := len(l.snapshots) > 0
	if n := len(l.snapshots); n > 0 {
		path := filepath.Join(d.path, snapshotName(l.snapshots[n-1]))
		rev, shw, err := loadSnapshotFile(path, s, d.opts.OnSnapshot)
		if err != nil {
			return 0, err
		}
		if rev != l.snapshots[n-1] {
			return 0, corruptf(path, "holds revision %d", rev)
		}
		d.base, hw = rev, shw
	}
	d.j.segs = l.segments
	jhw, err := d.j.replay(s)
	if err != nil {
		return 0, err
	}
	loaded := s.Snapshot()
	rev := loaded.Revision()
	if n := len(d.j.segs); n > 0 && d.j.segs[n-1] > rev+1 {
		// A segment is made when the revision before its first was
		// journalled: that revision is missing.
		return 0, corruptf(filepath.Join(d.path, segmentName(d.j.segs[n-1])),
			"the journal ends at revision %d, before this segment starts: commits are missing", rev)
	}
	d.highWater = max(hw, jhw, loaded.Read().MaxGrantID())
	// Files an interrupted checkpoint or roll left behind.
	for _, name := range leftovers {
		if err := os.Remove(filepath.Join(d.path, name)); err != nil && !os.IsNotExist(err) {
			return 0, fmt.Errorf("store: remove leftover %s: %w", name, err)
		}
	}
	if err := d.dropOldSnapshots(d.base); err != nil {
		return 0, err
	}
	d.j.setSnapshot(hasSnap, d.base)
	if err := d.j.dropCovered(d.base, rev); err != nil {
		return 0, err
	}
	if err := d.j.open(rev); err != nil {
		return 0, err
	}
	d.loaded = true
	return rev, nil
}

// GrantIDHighWater is the greatest grant id the database ever stored, also
// of grants deleted since: new ids must sort after it (seed the id
// generator with it after Load).
func (d *Dir) GrantIDHighWater() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.highWater
}

// Append journals one commit, committed at at (recorded with it, and given
// back to Options.OnReplay by Load), whose revision must follow the last one
// loaded or appended, and returns once the sync policy is met: with
// SyncAlways, once the commit is on disk. After a write or fsync error the
// Dir is failed: this and every later Append return an error wrapping
// ErrWriteFailed, until it is closed and opened again.
func (d *Dir) Append(cs store.ChangeSet, at time.Time) error {
	if err := d.j.append(&cs, at); err != nil {
		return err
	}
	var hw string
	for _, gc := range cs.Grants {
		if !gc.Deleted {
			hw = max(hw, gc.Grant.ID)
		}
	}
	if hw != "" {
		d.mu.Lock()
		d.highWater = max(d.highWater, hw)
		d.mu.Unlock()
	}
	return nil
}

// SinceCheckpoint reports how many commits, and how many bytes of them, were
// journalled since the last checkpoint began (or since Load): the engine
// takes a checkpoint when either grows past its threshold.
func (d *Dir) SinceCheckpoint() (commits int, bytes int64) { return d.j.since() }

// Checkpoint writes snap, a snapshot of a revision already appended, as the
// directory's snapshot, then deletes the journal segments and the older
// snapshot it makes useless. Writers are not blocked (snap is frozen), and
// Append may run meanwhile. A crash at any point leaves files that Load
// reads back to the same state. A snapshot not newer than the directory's
// is a no-op.
func (d *Dir) Checkpoint(ctx context.Context, snap *store.Snapshot) error {
	d.ckptMu.Lock()
	defer d.ckptMu.Unlock()
	d.mu.Lock()
	closed, loaded, base, hw := d.closed, d.loaded, d.base, d.highWater
	d.mu.Unlock()
	if closed || !loaded {
		return errors.New("store: Checkpoint of a closed or unloaded Dir")
	}
	rev := snap.Revision()
	if rev <= base {
		return nil
	}
	if last := d.j.lastRevision(); rev > last {
		return fmt.Errorf("store: checkpoint of revision %d, but the journal ends at %d", rev, last)
	}
	// Commits after rev go to a new segment, so that the ones before it can
	// be deleted whole.
	if err := d.j.rollIfHolds(rev); err != nil {
		return err
	}
	if _, err := writeSnapshotFile(ctx, d.path, snap, max(hw, snap.Read().MaxGrantID())); err != nil {
		return err
	}
	d.mu.Lock()
	d.base = rev
	d.mu.Unlock()
	d.j.setSnapshot(true, rev)
	if err := d.j.dropCovered(rev, d.j.lastRevision()); err != nil {
		return err
	}
	return d.dropOldSnapshots(rev)
}

// dropOldSnapshots deletes the snapshots before rev.
func (d *Dir) dropOldSnapshots(rev uint64) error {
	l, err := listDir(d.path)
	if err != nil {
		return err
	}
	for _, r := range l.snapshots {
		if r >= rev {
			continue
		}
		if err := os.Remove(filepath.Join(d.path, snapshotName(r))); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("store: drop old snapshot: %w", err)
		}
	}
	return nil
}

// Close waits for a checkpoint in progress, fsyncs and closes the journal
// and releases the lock. It returns the Dir's write failure, if any.
func (d *Dir) Close() error {
	d.ckptMu.Lock()
	defer d.ckptMu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return errors.New("store: Dir already closed")
	}
	d.closed = true
	d.mu.Unlock()
	err := d.j.close()
	if uerr := unlockDir(d.lock); err == nil && uerr != nil {
		err = fmt.Errorf("store: release lock: %w", uerr)
	}
	return err
}

// WriteSnapshotDir writes snap as a new database directory at path (created
// when missing; it must be empty), which Open opens at snap's revision:
// a point-in-time copy. Writers are not blocked. The copy's grant-id
// high-water is the greatest id snap holds; use WriteSnapshotDirWithHighWater
// when ids of grants deleted before snap must stay unused too.
func WriteSnapshotDir(ctx context.Context, snap *store.Snapshot, path string) error {
	return WriteSnapshotDirWithHighWater(ctx, snap, path, "")
}

// WriteSnapshotDirWithHighWater is WriteSnapshotDir with the copy's grant-id
// high-water (Dir.GrantIDHighWater once opened) at least highWater: the
// greatest id its source ever issued, so that ids of grants deleted before
// snap are not drawn again by the copy (Engine.Snapshot).
func WriteSnapshotDirWithHighWater(ctx context.Context, snap *store.Snapshot, path, highWater string) error {
	if err := ensureDir(path); err != nil {
		return err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("store: snapshot into %s: the directory is not empty", path)
	}
	lock, err := lockDir(path)
	if err != nil {
		return err
	}
	_, err = writeSnapshotFile(ctx, path, snap, max(highWater, snap.Read().MaxGrantID()))
	if err == nil {
		err = writeManifest(path, manifest{hasSnap: true, snapshot: snap.Revision()})
	}
	if uerr := unlockDir(lock); err == nil && uerr != nil {
		err = uerr
	}
	return err
}
