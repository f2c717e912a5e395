package store

// Pending returns what the transaction has written so far, as the change
// set its Commit would return, under the revision it would commit as. A
// replica of a shared log encodes it as the commit's record and aborts the
// transaction: the commit is applied once the log holds it, by
// ReplayCommit, like every other replica's. The rows are the stored,
// immutable ones: read them, never write through them.
func (w *WriteTxn) Pending() ChangeSet {
	cs := w.changes
	cs.Revision = w.rev + 1
	return cs
}
