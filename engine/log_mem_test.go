package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"

	"github.com/grantdb/grantdb/engine"
)

// memLog is an engine.Log in memory, shared by the replicas of a test: the
// conditional append is a check under its lock. Its followers can be held
// back, to make a replica fall behind the log.
type memLog struct {
	mu      sync.Mutex
	recs    [][]byte
	changed chan struct{} // closed at the next append or release
	held    bool
	fail    error // returned by every Append while set
	// trimmed is how many of the first records were dropped (trim): Read
	// and Follow skip them, as a stream skips what was purged.
	trimmed uint64
}

func newMemLog() *memLog { return &memLog{changed: make(chan struct{})} }

func (l *memLog) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *memLog) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	if last := uint64(len(l.recs)); last != expectLast {
		return 0, fmt.Errorf("memlog: last is %d, not %d: %w", last, expectLast, engine.ErrLogConflict)
	}
	l.recs = append(l.recs, append([]byte(nil), record...))
	l.wake()
	return uint64(len(l.recs)), nil
}

func (l *memLog) Read(ctx context.Context, after uint64) ([]engine.LogRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []engine.LogRecord
	for seq := max(after, l.trimmed) + 1; seq <= uint64(len(l.recs)) && len(out) < 64; seq++ {
		out = append(out, engine.LogRecord{Seq: seq, Record: l.recs[seq-1]})
	}
	return out, nil
}

func (l *memLog) Follow(ctx context.Context, after uint64) iter.Seq2[engine.LogRecord, error] {
	return func(yield func(engine.LogRecord, error) bool) {
		for {
			l.mu.Lock()
			if !l.held && after < uint64(len(l.recs)) {
				after = max(after, l.trimmed) + 1
				rec := engine.LogRecord{Seq: after, Record: l.recs[after-1]}
				l.mu.Unlock()
				if !yield(rec, nil) {
					return
				}
				continue
			}
			ch := l.changed
			l.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
		}
	}
}

// hold stops (true) or resumes (false) every follower.
func (l *memLog) hold(h bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = h
	l.wake()
}

// failAppends makes every Append fail with err (nil: succeed again).
func (l *memLog) failAppends(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// trim drops the records up to sequence seq.
func (l *memLog) trim(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trimmed = max(l.trimmed, min(seq, uint64(len(l.recs))))
}

func (l *memLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

var errLogDown = errors.New("memlog: unreachable")

// memSnapshotLog is a memLog that also keeps snapshots (the newest only).
type memSnapshotLog struct {
	*memLog
	smu  sync.Mutex
	info engine.SnapshotInfo
	snap []byte
	puts int
}

func newMemSnapshotLog() *memSnapshotLog { return &memSnapshotLog{memLog: newMemLog()} }

func (l *memSnapshotLog) PutSnapshot(ctx context.Context, info engine.SnapshotInfo, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	l.smu.Lock()
	defer l.smu.Unlock()
	if info.Seq > l.info.Seq {
		l.info, l.snap = info, b
	}
	l.puts++
	return nil
}

func (l *memSnapshotLog) LatestSnapshot(ctx context.Context) (engine.SnapshotInfo, bool, error) {
	l.smu.Lock()
	defer l.smu.Unlock()
	return l.info, l.snap != nil, nil
}

func (l *memSnapshotLog) OpenSnapshot(ctx context.Context, info engine.SnapshotInfo) (io.ReadCloser, error) {
	l.smu.Lock()
	defer l.smu.Unlock()
	if info != l.info {
		return nil, errors.New("memlog: no such snapshot")
	}
	return io.NopCloser(bytes.NewReader(l.snap)), nil
}

func (l *memSnapshotLog) latest() (engine.SnapshotInfo, int) {
	l.smu.Lock()
	defer l.smu.Unlock()
	return l.info, l.puts
}
