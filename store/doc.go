// Package store is grantdb's store of record: the go-memdb tables of grants,
// memberships and bulk access jobs, the typed transactions through which
// every other package reads and writes them, and the database directory (Dir)
// that keeps them on disk as buntdb files: a snapshot and a journal of the
// commits after it.
//
// Nothing outside this package touches memdb or buntdb. Readers take a
// Snapshot, which is one committed revision frozen in time, and read it
// through a ReadTxn; writers open a WriteTxn, and committing it assigns the
// next revision and returns the commit's ChangeSet — the unit the derived
// index and the journal consume. Rows are unexported and immutable once
// inserted; reads hand out copies.
//
// Writes are not serialised here: the caller (the engine, which owns the one
// write path) must hold its own lock from Write to Commit or Abort, so that
// commit order and publication order are the same.
//
// Persistence (DESIGN.md §5). OpenDir locks a directory (an advisory flock,
// released by the kernel when the process dies); Load fills a new Store from
// the newest snapshot file and the journal segments after it; Append journals
// each commit as one checksummed record (a very large one as part records,
// then the record that names them), fsynced by Dir itself under SyncAlways;
// Checkpoint writes a snapshot of a frozen Snapshot in the background (to a
// temporary name, fsynced, renamed, directory fsynced) and deletes the whole
// journal segments it covers. A crash tail of the journal is cut off at Load
// and logged; any other damage is an error naming the file (ErrCorrupt,
// ErrNotDatabase, ErrUnsupportedFormat), never a panic or a partial load.
// After a failed write or fsync a Dir refuses every Append (ErrWriteFailed)
// until it is reopened. WriteSnapshotDir writes a Snapshot as a new database
// directory: a point-in-time copy.
package store
