package bulk

import (
	"context"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// NewIDFunc returns the id of the next new grant. The engine provides it;
// Apply calls it only for grants it is about to write, in key order, so
// that a refused batch draws no id and new ids ascend with the keys (the
// id index then grows at its end, which costs a fraction of inserting in
// random places).
type NewIDFunc func() string

// outcome is what Apply decided for a valid input.
type outcome uint8

const (
	outFailed outcome = iota // or not decided
	outCreated
	outUpdated
	outSkipped
)

// Apply decides the outcome of each item against what tx holds at time now
// and writes the batch into tx, reading every stored grant it needs before
// its first write and writing in key order (what memdb inserts fastest).
// A new grant is model.NewGrant(newID(), org, input, now).
//
// A refused AllOrNothing batch writes nothing and returns its Result (not an
// error). The errors are ctx's, when it ends first, and the store's; after
// an error tx holds part of the batch and must be aborted. Apply runs
// Options.Progress on the calling goroutine.
func (b *Batch) Apply(ctx context.Context, tx *store.WriteTxn, now time.Time, newID NewIDFunc) (Result, error) {
	return b.ApplyThen(ctx, tx, now, newID, nil)
}

// ApplyThen is Apply calling staged, when it is not nil, once tx's change
// set (WriteTxn.Pending) shows the whole batch and before the grants are
// stored (store.WriteTxn.PutPreparedThen): the engine derives its index
// from the change set meanwhile, and the items are filled in after it. staged
// must not use tx; it is not called when the batch writes nothing or fails.
func (b *Batch) ApplyThen(ctx context.Context, tx *store.WriteTxn, now time.Time, newID NewIDFunc, staged func()) (Result, error) {
	p := newProgress(b.opts.Progress, len(b.inputs))
	d := decision{
		out: make([]outcome, len(b.inputs)),
		src: make([]int32, len(b.inputs)),
	}
	if err := b.decide(ctx, &tx.ReadTxn, now, &d); err != nil {
		return Result{}, err
	}
	if b.opts.Mode == AllOrNothing && len(b.failed)+len(d.failed) > 0 {
		items := b.failedItems(&d)
		for i := range items {
			if items[i].Status == "" {
				items[i].Status = StatusRolledBack
			}
		}
		p.report(len(b.inputs))
		return Result{Summary: summary(items), Items: items, Committed: false}, nil
	}
	if err := b.give(ctx, now, newID, &d, p); err != nil {
		return Result{}, err
	}
	if len(d.writes) == 0 {
		staged = nil
	}
	if err := tx.PutPreparedThen(b.rows, d.writes, staged); err != nil {
		return Result{}, err
	}
	items := b.items(&d)
	p.report(len(b.inputs))
	return Result{Summary: summary(items), Items: items, Committed: true}, nil
}

// decision is what decide found: each valid input's outcome and, for a
// skipped or updated one, whose grant it takes or updates (src: the row
// position of the first input of its key, or -(k+1) for stored[k], the
// grant stored under the key).
type decision struct {
	out    []outcome // by input
	src    []int32   // by input
	stored []model.Grant
	failed []failure
	// writes are the row positions to store, one per key, ascending.
	writes []int32
}

// decide walks the valid inputs in key order alongside the stored grants
// and decides each one's outcome.
func (b *Batch) decide(ctx context.Context, tx *store.ReadTxn, now time.Time, d *decision) error {
	seeker := tx.SeekGrants()
	d.writes = make([]int32, 0, len(b.order))
	recheck := now.After(b.validatedAt)
	for pos, seen := 0, 0; pos < len(b.order); {
		if seen >= ctxEvery {
			if err := ctx.Err(); err != nil {
				return err
			}
			seen = 0
		}
		key := b.rows.Key(pos)
		end := pos + 1
		for end < len(b.order) && b.rows.Key(end) == key {
			end++
		}
		first := pos
		seen += end - pos
		pos = end

		stored, found, err := seeker.Get(key)
		if err != nil {
			return err
		}
		// An ended grant behaves as revoked: a new grant replaces it.
		found = found && !stored.EndedAt(now)
		storedRef := int32(0)
		if found {
			d.stored = append(d.stored, stored)
			storedRef = -int32(len(d.stored))
		}
		holder, writer := int32(-1), int32(-1) // holder: the position whose grant the key has so far
		for at := first; at < end; at++ {
			i := b.order[at]
			// The row holds the input's window, in the order rows are read.
			if to := b.rows.Grant(at).EffectiveTo; recheck && !to.IsZero() && !to.After(now) {
				// The window ended between validation and now.
				in := &b.inputs[i]
				d.failed = append(d.failed, failure{i, asModelError(model.Window(in.EffectiveFrom, in.EffectiveTo, now))})
				continue
			}
			switch {
			case !found && holder < 0:
				d.out[i] = outCreated
				holder, writer = int32(at), int32(at)
			case b.opts.Mode == AllOrNothing:
				if holder < 0 {
					d.failed = append(d.failed, failure{i, asModelError(duplicateOfStored(&stored))})
				} else {
					d.failed = append(d.failed, failure{i, asModelError(duplicateInBatch(&b.inputs[i], int(b.order[holder])))})
				}
			case b.opts.Mode == Upsert:
				d.out[i], writer = outUpdated, int32(at)
				d.src[i] = holder
				if holder < 0 {
					d.src[i] = storedRef
				}
			default:
				d.out[i] = outSkipped
				d.src[i] = holder
				if holder < 0 {
					d.src[i] = storedRef
				}
			}
		}
		if writer >= 0 {
			d.writes = append(d.writes, writer)
		}
	}
	return nil
}

// give gives each created row a new id and the time now, and each updated
// row the id, creator and creation time of the grant it updates, in key
// order (so that new ids ascend with the keys), reporting progress.
func (b *Batch) give(ctx context.Context, now time.Time, newID NewIDFunc, d *decision, p *progress) error {
	done := len(b.inputs) - len(d.writes)
	w := 0
	for pos, i := range b.order {
		if pos%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if w < len(d.writes) && d.writes[w] == int32(pos) {
			p.report(done + w)
			w++
		}
		switch d.out[i] {
		case outCreated:
			g := b.rows.Grant(pos)
			g.ID, g.CreatedAt, g.UpdatedAt = newID(), now, now
		case outUpdated:
			base := d.grantOf(b.rows, d.src[i])
			g := b.rows.Grant(pos)
			g.ID, g.GrantedBy, g.CreatedAt, g.UpdatedAt = base.ID, base.GrantedBy, base.CreatedAt, now
		}
	}
	return nil
}

// grantOf is the grant src names: a row's or a stored one.
func (d *decision) grantOf(rows *store.PreparedGrants, src int32) *model.Grant {
	if src < 0 {
		return &d.stored[-src-1]
	}
	return rows.Grant(int(src))
}

// failedItems returns the items with each failed one set.
func (b *Batch) failedItems(d *decision) []Item {
	items := make([]Item, len(b.inputs))
	for i := range items {
		items[i].Index = i
	}
	for _, fs := range [...][]failure{b.failed, d.failed} {
		for _, f := range fs {
			items[f.i].Status, items[f.i].Err = StatusFailed, f.err
		}
	}
	return items
}

// items returns the items of a committed batch: its row's grant for a
// created or updated input, the grant it duplicates for a skipped one. It
// goes in key order, which reads the rows in the order they were made.
func (b *Batch) items(d *decision) []Item {
	items := b.failedItems(d)
	for pos, i := range b.order {
		it := &items[i]
		switch d.out[i] {
		case outCreated:
			it.Status, it.Grant = StatusCreated, *b.rows.Grant(pos)
		case outUpdated:
			it.Status, it.Grant = StatusUpdated, *b.rows.Grant(pos)
		case outSkipped:
			it.Status, it.Grant = StatusSkipped, *d.grantOf(b.rows, d.src[i])
		}
	}
	return items
}

func summary(items []Item) Summary {
	s := Summary{Total: len(items)}
	for i := range items {
		switch items[i].Status {
		case StatusCreated, StatusUpdated:
			s.Succeeded++
		case StatusSkipped:
			s.Skipped++
		case StatusFailed:
			s.Failed++
		}
	}
	return s
}
