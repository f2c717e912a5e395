package store

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
)

// Store holds the current committed state and opens transactions on it.
type Store struct {
	// db is written through, and is not memdb's primary database: a
	// non-primary database does not track mutated radix nodes for watches,
	// which nothing here uses and which makes large commits walk the whole
	// tree under the writer lock.
	db   *memdb.MemDB
	gx   sideIndexes
	rev  uint64
	last *Snapshot
	// published is last, for Snapshot: readers on other goroutines load it
	// while the writer commits.
	published atomic.Pointer[Snapshot]
}

// New returns an empty store at revision 0.
func New() (*Store, error) {
	primary, err := memdb.NewMemDB(newDBSchema())
	if err != nil {
		return nil, fmt.Errorf("store: schema: %w", err)
	}
	s := &Store{db: primary.Snapshot(), gx: newSideIndexes()}
	s.last = s.snapshot()
	s.published.Store(s.last)
	return s, nil
}

// Snapshot is one committed revision of the store, frozen: later commits do
// not change what it shows. Any number of goroutines may read one at once.
type Snapshot struct {
	db  *memdb.MemDB
	gx  sideIndexes
	rev uint64
}

// Revision is the revision of the commit this snapshot shows (0: nothing
// committed yet).
func (s *Snapshot) Revision() uint64 { return s.rev }

// Read opens a read transaction on the snapshot. It never blocks and never
// needs closing.
func (s *Snapshot) Read() *ReadTxn {
	return &ReadTxn{txn: s.db.Txn(false), gx: s.gx, rev: s.rev}
}

// Snapshot returns the last committed revision.
// It is safe to call from any goroutine, while a write goes on.
func (s *Store) Snapshot() *Snapshot { return s.published.Load() }

func (s *Store) snapshot() *Snapshot {
	return &Snapshot{db: s.db.Snapshot(), gx: s.gx.clone(), rev: s.rev}
}

// ReadTxn reads one snapshot.
type ReadTxn struct {
	txn *memdb.Txn
	gx  sideIndexes
	rev uint64
	// pend is, in a write transaction, its rows that wait for their grant
	// index entries (grant_pending.go); nil in a read transaction.
	pend *pendingGrants
}

// Revision is the revision the transaction reads.
func (r *ReadTxn) Revision() uint64 { return r.rev }

// WriteTxn is a read-write transaction: it reads its own writes, and nothing
// of it is visible elsewhere until Commit. The caller serialises writers.
type WriteTxn struct {
	ReadTxn
	store   *Store
	changes ChangeSet
	done    bool
	// base is the state it started from: AddMembership and RemoveMembership
	// answer "is it there" from it for members the transaction has not
	// changed (memberships.go).
	base *ReadTxn
	// entities are the entity rows this transaction made (entities.go), by
	// key: its own, which it may change.
	entities map[string]*entityRow
	// ownMembers are the member rows this transaction made (members.go).
	ownMembers map[string]*memberRow
	// pending are the rows whose grant index entries Commit makes
	// (grant_pending.go).
	pending pendingGrants
}

// Write opens a write transaction on the last committed state. The caller
// must hold its write lock until Commit or Abort.
func (s *Store) Write() *WriteTxn {
	w := &WriteTxn{store: s}
	w.ReadTxn = ReadTxn{txn: s.db.Txn(true), gx: s.gx.clone(), rev: s.rev}
	w.pend = &w.pending
	return w
}

// Commit makes the transaction's writes the store's state under the next
// revision, and returns what changed and a snapshot of the new state. A
// transaction that wrote nothing commits no revision: it returns an empty
// change set carrying the current revision, and the current snapshot.
// Commit after Commit or Abort panics, as it is a programming error.
func (w *WriteTxn) Commit() (ChangeSet, *Snapshot) {
	if w.done {
		panic("store: commit of a finished transaction")
	}
	w.done = true
	s := w.store
	if w.changes.empty() {
		w.txn.Abort()
		return ChangeSet{Revision: s.rev}, s.last
	}
	return w.commitAt(s.rev + 1)
}

// commitAt commits under revision rev, even when nothing was written: a
// load from disk sets the revision it loaded.
func (w *WriteTxn) commitAt(rev uint64) (ChangeSet, *Snapshot) {
	s := w.store
	w.done = true
	w.dropEmptyEntities()
	w.dropEmptyMembers()
	w.grantIdx()
	w.txn.Commit()
	s.gx = w.gx
	s.rev = rev
	w.changes.Revision = rev
	s.last = s.snapshot()
	s.published.Store(s.last)
	return w.changes, s.last
}

// Abort discards the transaction. It is a no-op after Commit, so that
// `defer tx.Abort()` is always safe.
func (w *WriteTxn) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.txn.Abort()
}
