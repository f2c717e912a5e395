// Package store is grantdb's state: the go-memdb tables of grants,
// memberships and bulk access jobs, the structures beside them (grants by
// id, by grantee and by end, memberships by group, and the entity links,
// by child and by parent), and the typed transactions through which every
// other package reads and writes them. It is used by package engine (and by
// the layers engine is made of: bulk, resolve, store/disk); applications use
// engine and model, never store.
//
// Nothing outside this package touches memdb. Readers take a Snapshot,
// which is one committed revision frozen in time, and read it through a
// ReadTxn; writers open a WriteTxn, and committing it assigns the next
// revision and returns the commit's ChangeSet — the unit the derived index
// and the journal consume. Rows are unexported and immutable once inserted;
// reads hand out copies.
//
// Writes are not serialised here: the caller (the engine, which owns the one
// write path) must hold its own lock from Write to Commit or Abort, so that
// commit order and publication order are the same.
//
// The store keeps nothing on disk: package store/disk does, through this
// package's exported API only, as Consul's fsm does with its state store. A
// snapshot file is written from a Snapshot's scans (EachGrant,
// EachMembership, EachJob, EachJobSpec, EachJobStep) and read back through a
// Restore, which fills a new store and commits it at the file's revision; a
// journalled commit is a ChangeSet of plain values, redone by Replay. How
// rows are keyed in memory is this package's alone, so it can change
// without changing a file.
package store
