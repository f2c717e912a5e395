package engine

import (
	"context"
	"errors"
	"fmt"
)

// A replica with a directory (WithPath beside WithLog, docs/design.md
// §2.13) keeps a local copy: the directory holds what it applied from the
// log, journalled as a standalone engine journals its commits. Open loads
// it, finds in the log the record of the revision it covers and reads on
// from there. No sequence is stored beside the copy: every record carries
// the revision its writer filled it on, which is the one every replica
// gives it (the append was conditional on the writer holding every record
// before it), so the copy's revision names its place in the log.

// errLogTrimmed: the log no longer holds the records that follow a state.
var errLogTrimmed = errors.New("the log no longer holds the records after this revision (it was trimmed)")

// startReplica sets where the replica is in the log and reads the log to
// its end. It runs in Open, under writeMu.
//
// A replica that starts with nothing, or whose copy the log was trimmed
// past, starts from the newest snapshot of the log's SnapshotStore, when
// it has one newer than the copy (replica_snapshot.go).
func (e *Engine) startReplica(ctx context.Context) error {
	rev := e.store.Snapshot().Revision()
	seq, err := e.position(ctx, rev)
	if ss, ok := e.repl.log.(SnapshotStore); ok && (err == nil && rev == 0 || errors.Is(err, errLogTrimmed)) {
		info, found, serr := ss.LatestSnapshot(ctx)
		if serr != nil {
			return fmt.Errorf("the newest snapshot: %w", serr)
		}
		if found && info.Revision > rev {
			if err := e.joinFromSnapshot(ctx, ss, info); err != nil {
				return err
			}
			seq, err = info.Seq, nil
		}
	}
	if err != nil {
		return err
	}
	e.repl.seq = seq
	// The view published before the log was read gets its place in it.
	v := *e.current.Load()
	v.seq = seq
	e.current.Store(&v)
	_, err = e.catchUp(ctx)
	return err
}

// position returns the sequence of the log record of revision rev, the
// place in the log of a state at rev (0 with nothing applied), or errLogTrimmed
// when the log no longer holds the record that follows rev.
//
// Sequences grow by at least one per record and revisions by exactly one,
// so the record of rev sits at sequence rev or later, and at least as far
// after any record seen as their revisions are apart: the search reads
// from there, one batch at a time, and jumps ahead by that gap.
func (e *Engine) position(ctx context.Context, rev uint64) (uint64, error) {
	after := uint64(0)
	if rev > 0 {
		after = rev - 1
	}
	for {
		recs, err := e.repl.log.Read(ctx, after)
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			if rev == 0 {
				return 0, nil
			}
			return 0, fmt.Errorf("the log holds no record of revision %d or later: the local copy is not of this log", rev)
		}
		var last LogRecord
		var lastRev uint64
		for _, r := range recs {
			got, err := recordRevision(r.Record)
			if err != nil {
				return 0, fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			switch {
			case got == rev:
				return r.Seq, nil
			case got == rev+1:
				// The record of rev is before this one, or trimmed:
				// either way reading goes on from this one.
				return r.Seq - 1, nil
			case got > rev+1:
				return 0, fmt.Errorf("%w: the local copy is at revision %d, the log's first record after it is revision %d",
					errLogTrimmed, rev, got)
			}
			last, lastRev = r, got
		}
		after = last.Seq + (rev - lastRev) - 1
	}
}

// recordRevision returns the revision a log record was written for.
func recordRevision(b []byte) (uint64, error) {
	cs, _, err := decodeRecord(b)
	if err != nil {
		return 0, err
	}
	if cs.Revision == 0 {
		return 0, errors.New("the record is revision 0")
	}
	return cs.Revision, nil
}
