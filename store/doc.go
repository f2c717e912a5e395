// Package store is grantdb's store of record: the go-memdb tables of grants
// and memberships, the typed transactions through which every other package
// reads and writes them, and (later) the buntdb snapshot and journal.
//
// Nothing outside this package touches memdb. Readers take a Snapshot, which
// is one committed revision frozen in time, and read it through a ReadTxn;
// writers open a WriteTxn, and committing it assigns the next revision and
// returns the commit's ChangeSet — the unit the derived index and the journal
// consume. Rows are unexported and immutable once inserted; reads hand out
// copies.
//
// Writes are not serialised here: the caller (the engine, which owns the one
// write path) must hold its own lock from Write to Commit or Abort, so that
// commit order and publication order are the same.
package store
