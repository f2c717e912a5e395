package engine

import (
	"context"
	"errors"
	"iter"
)

// Replication (docs/design.md §2.13): replicas of a service share one ordered
// log, kept by an existing engine (NATS JetStream, in the module
// github.com/grantdb/grantdb/cluster), never a home-made consensus. The
// log's unit is one commit: its journal record. Every replica, the writer
// included, applies the log's records in order, so all hold the same
// revisions and answer alike at equal revisions.

// Log is an ordered log of records shared by the replicas of one database,
// with a conditional append. Sequences start at 1 and grow by at least one
// per record; 0 is "before the first record". A Log is used from several
// goroutines of one engine at once.
type Log interface {
	// Append stores record as the log's next record, on condition that
	// the log's last sequence is expectLast, and returns the record's
	// sequence once the log holds it durably (for JetStream: stored by
	// the stream's quorum). When the last sequence is another, it stores
	// nothing and returns an error wrapping ErrLogConflict. Any other
	// error leaves the outcome unknown: the record may still be in the
	// log, and then every replica applies it.
	Append(ctx context.Context, expectLast uint64, record []byte) (seq uint64, err error)
	// Read returns the records after sequence after that the log holds
	// now, in order: all of them or a first batch of them. No records
	// means the reader has caught up with the log as of the call.
	Read(ctx context.Context, after uint64) ([]LogRecord, error)
	// Follow yields the records after sequence after in order, waiting
	// for new ones as they are appended, until ctx ends (then it stops
	// without an error) or the log fails (it yields the error and stops).
	// It may also stop early without an error (a quiet spell): the engine
	// then follows again from the last record it applied.
	Follow(ctx context.Context, after uint64) iter.Seq2[LogRecord, error]
}

// LogRecord is one record of a Log.
type LogRecord struct {
	Seq    uint64
	Record []byte
}

// ErrLogConflict is wrapped by a Log's Append when the log's last sequence
// is not the one expected: another replica appended first. The engine
// handles it (it applies what it missed and runs the write again); callers
// of the engine never see it.
var ErrLogConflict = errors.New("log: the last sequence is not the expected one")

// ErrNotReplicated is wrapped by the error of a write whose record the log
// did not acknowledge (the log is unreachable, or timed out): the write is
// not applied here and the call fails, but, as with any request whose
// answer was lost, the log may hold it all the same, and then every
// replica applies it shortly. Reads go on answering from the last applied
// revision. Match it with errors.Is.
var ErrNotReplicated = errors.New("grantdb: the shared log did not acknowledge the write")

// WithLog makes the engine one replica of a database whose commits are kept
// in l, shared with the other replicas. Open reads l to its end before it
// returns; a background follower then applies every record other replicas
// append, in log order. A write is filled and validated on the published
// revision, encoded as its commit's record and appended on condition that
// the log holds nothing this replica has not applied; when another replica
// wrote first, the write catches up and runs again (until it lands, its ctx
// ends or 1000 tries have failed), so the loser of a race on one key gets
// ErrDuplicate. The call returns once the log holds the record and the
// engine has applied it: Revision then covers it, and WaitRevision on
// another replica gives read-your-writes there. Reads never leave the
// process. Every write replicates, deny grants and entity links included:
// the record is the commit in the journal's format. Revisions are the same
// on every replica, so l must hold this database's records only. The expiry
// sweeper and the jobs commit through the log too; with WithLease they run
// on the replica holding the lease alone, and a job survives the replica
// running it. Without a lease the sweeper runs on every replica (two
// sweeping at once conflict, and the second finds nothing left to sweep), a
// job runs on the replica that submitted it, no other replica takes it
// over, and a replica with a directory does not resume jobs at Open.
//
// With WithPath, the directory is the replica's local copy: it journals
// what it applies (SyncEverySecond unless WithSync says otherwise: the log
// holds every acknowledged write), and Open loads it and reads the log after
// it. When l also implements SnapshotStore, a replica that starts with
// nothing (no directory, or an empty one), or whose copy l no longer
// continues (trimmed), starts from the newest snapshot stored there, then
// reads the log after it; see PublishSnapshot. Default: no log, a standalone
// engine.
func WithLog(l Log) Option {
	return func(c *config) { c.log = l }
}
