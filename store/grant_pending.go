package store

import (
	"runtime"
	"slices"
)

// A batch's side-index entries are made at commit, not as the batch is
// written: the engine derives its read index from the change set on the
// other core meanwhile (docs/design.md §4.2). Until then the rows wait in
// the transaction's pendingGrants, and every use of the grant indexes
// through the transaction (a read, another write) makes them first, so
// the transaction still reads its own writes.

// pendingGrants are the rows of the last PutGrantsN whose entries in the
// grant indexes are not made yet, in key order, each with the row it
// replaced under its key (nil: none).
type pendingGrants struct {
	rows, replaced []*grantRow
	// grantee, when not nil, is closed once another goroutine has made the
	// rows' grantee entries (byGranteeEarly); flush waits for it instead of
	// making them.
	grantee chan struct{}
}

// granteeEarlyAt is how many rows a batch has before their grantee entries
// are made on another goroutine from the moment the rows exist, while the
// batch is staged and stored: sorting and inserting them is the longest
// part of the commit of a large batch, and the second core is idle while
// the batch is staged.
const granteeEarlyAt = 1024

// byGranteeEarly starts making the grantee entries of rows (the rows about
// to be stored, in key order) on another goroutine when they are many; the
// flush of those rows then waits for it. Nothing else uses the grantee
// index of the transaction meanwhile: every use goes through grantIdx,
// which flushes first.
func (w *WriteTxn) byGranteeEarly(rows []*grantRow) chan struct{} {
	if len(rows) < granteeEarlyAt || runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	x := w.gx.grantIndexes
	rows = slices.Clone(rows) // the goroutine reads them while the batch goes on
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.putByGrantee(rows)
	}()
	return done
}

// grantIdx returns the grant indexes as the transaction sees them, after
// making the entries of the rows that wait.
func (r *ReadTxn) grantIdx() grantIndexes {
	if p := r.pend; p != nil && len(p.rows) > 0 {
		p.flush(r.gx.grantIndexes)
	}
	return r.gx.grantIndexes
}

// flush makes the waiting rows' entries in x and forgets the rows.
func (p *pendingGrants) flush(x grantIndexes) {
	rows, replaced, grantee := p.rows, p.replaced, p.grantee
	p.rows, p.replaced, p.grantee = nil, nil, nil
	x.putAllExceptGrantee(rows, replaced)
	if grantee != nil {
		<-grantee
		return
	}
	x.putByGrantee(rows)
}
