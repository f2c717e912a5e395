package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/grantdb/grantdb/store"
	"github.com/tidwall/buntdb"
)

// SyncPolicy says when a journalled commit is forced to disk.
type SyncPolicy int

// The sync policies. Whatever the policy, a commit is written to the file
// (so the operating system has it) before Append returns: a crash of the
// process alone loses nothing acknowledged. They differ on a power cut.
const (
	// SyncAlways (the default) fsyncs before Append returns: an acknowledged
	// commit survives a power cut.
	SyncAlways SyncPolicy = iota
	// SyncEverySecond fsyncs in the background once a second when something
	// was appended: a power cut loses at most about the last second of
	// acknowledged commits.
	SyncEverySecond
	// SyncNever leaves flushing to the operating system (and to Close).
	SyncNever
)

// String names the policy.
func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "SyncAlways"
	case SyncEverySecond:
		return "SyncEverySecond"
	case SyncNever:
		return "SyncNever"
	}
	return "SyncPolicy(" + strconv.Itoa(int(p)) + ")"
}

// ErrWriteFailed is wrapped by every error of a Dir whose journal failed to
// write or fsync: it stays failed, refusing every later Append, until it is
// closed and opened again. The failed commit may or may not be on disk.
var ErrWriteFailed = errors.New("store: a write to the database files failed; reopen to continue")

// Journal record kinds, the first byte of a j: record's body.
const (
	journalInline = 1 // the change set follows
	journalParts  = 2 // the change set is in part records, described here
)

// journal appends commits to buntdb segment files in one directory. Each
// commit is one buntdb record j:<revision> (or, when large, part records
// p:<revision>:<n>, an fsync, then the j: record naming them), written by
// buntdb with SyncPolicy Never and fsynced here through our own descriptor.
type journal struct {
	dir      string
	opts     *Options
	log      *slog.Logger
	syncFile func(*os.File) error // f.Sync; tests inject failures

	mu   sync.Mutex
	segs []uint64 // first revisions of the segments on disk, ascending
	// hasSnap and snapRev are the live snapshot, for the MANIFEST.
	hasSnap bool
	snapRev uint64
	db      *buntdb.DB
	file    *os.File // the active segment, for fsync
	name    string   // the active segment's file name
	records int      // in the active segment
	bytes   int64    // in the active segment
	last    uint64   // last revision appended (or loaded)
	dirty   bool     // appended since the last fsync
	// sinceRecords and sinceBytes count the commits journalled since the
	// last checkpoint began, for deciding when to take the next one.
	sinceRecords int
	sinceBytes   int64
	err          error // sticky failure
	buf          []byte

	stop chan struct{}
	done chan struct{}
}

func newJournal(dir string, opts *Options, log *slog.Logger) *journal {
	return &journal{dir: dir, opts: opts, log: log, syncFile: (*os.File).Sync}
}

// open starts appending after revision last, into the newest segment if it
// is empty and named for revision last+1, else into a new one.
func (j *journal) open(last uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.last = last
	if n := len(j.segs); n > 0 && j.segs[n-1] == last+1 {
		fi, err := os.Stat(filepath.Join(j.dir, segmentName(j.segs[n-1])))
		if err != nil {
			return fmt.Errorf("store: journal: %w", err)
		}
		if fi.Size() == 0 {
			if err := j.openSegment(j.segs[n-1]); err != nil {
				return err
			}
			if err := j.writeManifest(); err != nil {
				return err
			}
			j.startSyncer()
			return nil
		}
	}
	if err := j.roll(last + 1); err != nil {
		return err
	}
	j.startSyncer()
	return nil
}

func (j *journal) startSyncer() {
	if j.opts.Sync != SyncEverySecond {
		return
	}
	j.stop, j.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(j.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-j.stop:
				return
			case <-t.C:
				j.mu.Lock()
				if j.dirty && j.err == nil && j.file != nil {
					_ = j.sync() // a failure sticks in j.err
				}
				j.mu.Unlock()
			}
		}
	}()
}

// append journals cs, committed at at, whose revision must follow the last
// one.
func (j *journal) append(cs *store.ChangeSet, at time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if j.db == nil {
		return errors.New("store: journal is closed or not loaded")
	}
	if cs.Revision != j.last+1 {
		return fmt.Errorf("store: journal: revision %d does not follow %d", cs.Revision, j.last)
	}
	if j.records > 0 && (j.records >= j.opts.SegmentRecords || j.bytes >= j.opts.SegmentBytes) {
		if err := j.roll(cs.Revision); err != nil {
			return err
		}
	}
	// The body is the CRC, the kind, then the change set, built in place.
	j.buf = appendChangeSet(append(j.buf[:0], 0, 0, 0, 0, journalInline), cs, at)
	body, payload := j.buf, j.buf[5:]
	rev := cs.Revision
	if len(body) <= j.opts.PartBytes {
		binary.LittleEndian.PutUint32(body, checksum(body[4:]))
	} else {
		n := 0
		for off := 0; off < len(payload); off += j.opts.PartBytes {
			chunk := payload[off:min(off+j.opts.PartBytes, len(payload))]
			if err := j.set(partKey(rev, n), sealRecord(nil, chunk)); err != nil {
				return err
			}
			n++
		}
		// The parts are on disk before the record that names them, so a
		// whole j: record always has whole parts behind it.
		if err := j.sync(); err != nil {
			return err
		}
		e := encoder{}
		e.byte(journalParts)
		e.uvarint(uint64(n))
		e.uvarint(uint64(len(payload)))
		e.b = binary.LittleEndian.AppendUint32(e.b, checksum(payload))
		body = sealRecord(nil, e.b)
	}
	if err := j.set(journalKey(rev), body); err != nil {
		return err
	}
	j.last = rev
	if cap(j.buf) > 4*j.opts.PartBytes {
		j.buf = nil // do not keep a huge commit's buffer
	}
	j.sinceRecords++
	j.sinceBytes += int64(len(body))
	if j.opts.Sync == SyncAlways {
		return j.sync()
	}
	return nil
}

// set writes one record in its own buntdb transaction.
func (j *journal) set(key string, val []byte) error {
	err := j.db.Update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(key, string(val), nil)
		return err
	})
	if err != nil {
		return j.fail("write", err)
	}
	j.records++
	j.bytes += int64(setCommandSize(len(key), len(val)))
	j.dirty = true
	return nil
}

// sync fsyncs the active segment.
func (j *journal) sync() error {
	if err := j.syncFile(j.file); err != nil {
		return j.fail("fsync", err)
	}
	j.dirty = false
	return nil
}

// fail makes the journal failed, keeping the first failure.
func (j *journal) fail(what string, err error) error {
	if j.err != nil {
		return j.err
	}
	j.err = fmt.Errorf("%w: %s %s: %w", ErrWriteFailed, what, filepath.Join(j.dir, j.name), err)
	return j.err
}

// roll closes the active segment, fsynced, and opens a new one whose first
// record will be revision first.
func (j *journal) roll(first uint64) error {
	if j.db != nil {
		if err := j.sync(); err != nil {
			return err
		}
		if err := j.closeSegment(); err != nil {
			return err
		}
	}
	if err := j.openSegment(first); err != nil {
		return err
	}
	if n := len(j.segs); n == 0 || j.segs[n-1] != first {
		j.segs = append(j.segs, first)
	}
	// The new file's name must be on disk, and in the MANIFEST, before a
	// commit in it is acknowledged.
	if err := syncDir(j.dir); err != nil {
		return j.fail("fsync directory of", err)
	}
	return j.writeManifest()
}

// setSnapshot records the live snapshot, for the MANIFEST.
func (j *journal) setSnapshot(has bool, rev uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.hasSnap, j.snapRev = has, rev
}

// writeManifest writes the live files to the MANIFEST. The caller holds mu.
func (j *journal) writeManifest() error {
	m := manifest{hasSnap: j.hasSnap, snapshot: j.snapRev, segments: j.segs}
	if err := writeManifest(j.dir, m); err != nil {
		return j.fail("write the MANIFEST of", err)
	}
	return nil
}

func (j *journal) openSegment(first uint64) error {
	j.name = segmentName(first)
	path := filepath.Join(j.dir, j.name)
	db, err := buntdb.Open(path)
	if err != nil {
		return j.fail("open", err)
	}
	if err := db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Never, AutoShrinkDisabled: true}); err != nil {
		_ = db.Close()
		return j.fail("configure", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		_ = db.Close()
		return j.fail("open", err)
	}
	j.db, j.file, j.records, j.bytes, j.dirty = db, f, 0, 0, false
	return nil
}

func (j *journal) closeSegment() error {
	err := j.db.Close()
	if ferr := j.file.Close(); err == nil {
		err = ferr
	}
	j.db, j.file = nil, nil
	if err != nil {
		return j.fail("close", err)
	}
	return nil
}

// rollIfHolds starts a new segment when the active one holds a revision at
// or before rev, so that a checkpoint at rev can drop it.
func (j *journal) rollIfHolds(rev uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.sinceRecords, j.sinceBytes = 0, 0
	if j.db == nil || j.records == 0 || j.segs[len(j.segs)-1] > rev {
		return nil
	}
	return j.roll(j.last + 1)
}

// dropCovered deletes every segment whose records are all at or before rev
// (the snapshot's) and, with Options.KeepCommits, older than the newest
// KeepCommits commits up to last: each but the newest segment holds the
// revisions up to the next one's first.
func (j *journal) dropCovered(rev, last uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if k := uint64(max(j.opts.KeepCommits, 0)); k > 0 {
		if last > k {
			rev = min(rev, last-k)
		} else {
			rev = 0
		}
	}
	keep := 0
	for keep+1 < len(j.segs) && j.segs[keep+1]-1 <= rev {
		keep++
	}
	drop := j.segs[:keep]
	j.segs = j.segs[keep:]
	// The MANIFEST stops naming them before they go, so that a crash in
	// between leaves leftovers, never a listed file missing.
	if j.db != nil || len(drop) > 0 {
		if err := j.writeManifest(); err != nil {
			return err
		}
	}
	for _, first := range drop {
		if err := os.Remove(filepath.Join(j.dir, segmentName(first))); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("store: journal: drop segment: %w", err)
		}
	}
	return nil
}

// since reports the commits and their bytes journalled since the last
// checkpoint began.
func (j *journal) since() (records int, bytes int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sinceRecords, j.sinceBytes
}

// close fsyncs and closes the active segment. It returns the journal's
// failure, if it failed.
func (j *journal) close() error {
	if j.stop != nil {
		close(j.stop)
		<-j.done
		j.stop = nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.db == nil {
		return j.err
	}
	if j.err == nil {
		_ = j.sync()
	}
	_ = j.closeSegment()
	return j.err
}

func journalKey(rev uint64) string { return fmt.Sprintf("j:%020d", rev) }

func partKey(rev uint64, n int) string { return fmt.Sprintf("p:%020d:%06d", rev, n) }

// lastRevision is the last revision appended or loaded.
func (j *journal) lastRevision() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}
