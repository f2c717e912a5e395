package bulk

import (
	"context"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// NewGrantFunc makes the stored form of a new, validated grant: its id,
// organisation and timestamps. The engine provides it; Apply calls it only
// for grants it is about to write, in key order, so a refused batch draws no
// id.
type NewGrantFunc func(in model.GrantInput) model.Grant

// Apply decides the outcome of each item against what tx holds at time now
// and writes the batch into tx, reading every stored grant it needs before
// its first write and writing in key order (what memdb inserts fastest).
//
// A refused AllOrNothing batch writes nothing and returns its Result (not an
// error). The errors are ctx's, when it ends first, and the store's; after
// an error tx holds part of the batch and must be aborted. Apply runs
// Options.Progress on the calling goroutine.
func (b *Batch) Apply(ctx context.Context, tx *store.WriteTxn, now time.Time, newGrant NewGrantFunc) (Result, error) {
	return b.ApplyThen(ctx, tx, now, newGrant, nil)
}

// ApplyThen is Apply calling staged, when it is not nil, once tx's change
// set (WriteTxn.Pending) shows the whole batch and before the grants are
// stored (store.WriteTxn.PutGrantsThen): the engine derives its index from
// the change set meanwhile. staged must not use tx; it is not called when
// the batch writes nothing or fails.
func (b *Batch) ApplyThen(ctx context.Context, tx *store.WriteTxn, now time.Time, newGrant NewGrantFunc, staged func()) (Result, error) {
	p := newProgress(b.opts.Progress, len(b.inputs))
	ref := make([]int32, len(b.inputs))
	writes, err := b.decide(ctx, &tx.ReadTxn, now, ref)
	if err != nil {
		return Result{}, err
	}
	sum := b.summary()
	if b.opts.Mode == AllOrNothing && sum.Failed > 0 {
		for i := range b.items {
			if b.items[i].Status != StatusFailed {
				b.items[i].Status, b.items[i].Grant = StatusRolledBack, model.Grant{}
			}
		}
		p.report(len(b.inputs))
		return Result{Summary: b.summary(), Items: b.items, Committed: false}, nil
	}
	if err := b.fillGrants(ctx, now, ref, newGrant); err != nil {
		return Result{}, err
	}
	if err := b.write(ctx, tx, writes, p, staged); err != nil {
		return Result{}, err
	}
	p.report(len(b.inputs))
	return Result{Summary: sum, Items: b.items, Committed: true}, nil
}

// decide walks the valid inputs in key order alongside the stored grants
// and sets each item's status. It returns the inputs whose grant is to be
// written, one per key, in key order. For a skipped or updated item, ref
// names the earlier input of its key whose grant it takes (or -1: the stored
// grant, already in the item).
func (b *Batch) decide(ctx context.Context, tx *store.ReadTxn, now time.Time, ref []int32) ([]int32, error) {
	seeker := tx.SeekGrants()
	writes := make([]int32, 0, len(b.order))
	recheck := now.After(b.validatedAt)
	for pos, seen := 0, 0; pos < len(b.order); {
		if seen >= ctxEvery {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			seen = 0
		}
		key := b.keys[b.order[pos]]
		end := pos + 1
		for end < len(b.order) && b.keys[b.order[end]] == key {
			end++
		}
		group := b.order[pos:end]
		seen += end - pos
		pos = end

		stored, found, err := seeker.Get(key)
		if err != nil {
			return nil, err
		}
		// An ended grant behaves as revoked: a new grant replaces it.
		found = found && !stored.EndedAt(now)
		holder, writer := int32(-1), int32(-1) // holder: the input whose grant the key has so far
		for _, i := range group {
			in := &b.inputs[i]
			if recheck && !in.EffectiveTo.IsZero() && !in.EffectiveTo.After(now) {
				// The window ended between validation and now.
				b.fail(int(i), model.Window(in.EffectiveFrom, in.EffectiveTo, now))
				continue
			}
			it := &b.items[i]
			switch {
			case !found && holder < 0:
				it.Status = StatusCreated
				holder, writer = i, i
			case b.opts.Mode == AllOrNothing:
				if holder < 0 {
					b.fail(int(i), duplicateOfStored(&stored))
				} else {
					b.fail(int(i), duplicateInBatch(in, int(holder)))
				}
			case b.opts.Mode == Upsert:
				it.Status, ref[i], writer = StatusUpdated, holder, i
				if holder < 0 {
					it.Grant = updated(stored, in, now)
				}
			default:
				it.Status, ref[i] = StatusSkipped, holder
				if holder < 0 {
					it.Grant = stored
				}
			}
		}
		if writer >= 0 {
			writes = append(writes, writer)
		}
	}
	return writes, nil
}

// fillGrants gives created items their new grant, and items that take an
// earlier input's grant that grant. It goes in key order, in which the
// earlier inputs of a key come first, so that new ids ascend with the keys:
// the id index then grows at its end, which costs a fraction of inserting
// in random places.
func (b *Batch) fillGrants(ctx context.Context, now time.Time, ref []int32, newGrant NewGrantFunc) error {
	for n, i := range b.order {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		it := &b.items[i]
		switch it.Status {
		case StatusCreated:
			it.Grant = newGrant(b.inputs[i])
		case StatusSkipped:
			if ref[i] >= 0 {
				it.Grant = b.items[ref[i]].Grant
			}
		case StatusUpdated:
			if ref[i] >= 0 {
				it.Grant = updated(b.items[ref[i]].Grant, &b.inputs[i], now)
			}
		}
	}
	return nil
}

// write stores the grant of each input in writes (in key order), calling
// staged as ApplyThen says.
func (b *Batch) write(ctx context.Context, tx *store.WriteTxn, writes []int32, p *progress, staged func()) error {
	done := len(b.inputs) - len(writes)
	var stopped error
	if len(writes) == 0 {
		staged = nil
	}
	err := tx.PutGrantsThen(len(writes), func(yield func(store.GrantKey, *model.Grant) bool) {
		for n, i := range writes {
			if n%ctxEvery == 0 {
				if stopped = ctx.Err(); stopped != nil {
					return
				}
			}
			p.report(done + n)
			if !yield(b.keys[i], &b.items[i].Grant) {
				return
			}
		}
	}, func() {
		if stopped == nil && staged != nil {
			staged()
		}
	})
	if stopped != nil {
		return stopped
	}
	return err
}

// updated is g after in updates it at now: the new level and window, the
// same id, creator and creation time.
func updated(g model.Grant, in *model.GrantInput, now time.Time) model.Grant {
	g.Level = in.Level
	g.EffectiveFrom, g.EffectiveTo = model.UTC(in.EffectiveFrom), model.UTC(in.EffectiveTo)
	g.UpdatedAt = now
	return g
}

func (b *Batch) summary() Summary {
	s := Summary{Total: len(b.items)}
	for i := range b.items {
		switch b.items[i].Status {
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
