package store

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
	rows, replaced := p.rows, p.replaced
	p.rows, p.replaced = nil, nil
	for i := len(rows) - 1; i >= 0; i-- { // last first: see putByGrantee
		x.putExceptGrantee(rows[i], replaced[i])
	}
	x.putByGrantee(rows)
}
