package engine

import (
	"context"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// BulkCreate creates many grants in org in one transaction: readers see all
// of the batch or none of it. The Result has one Item per input, in input
// order. A duplicate is an input whose (entity, grantee) already has a grant
// that has not ended, or that repeats an earlier input of the batch; what
// happens to duplicates and invalid inputs depends on opts.Mode (see
// bulk.Mode). A refused AllOrNothing batch returns its Result with
// Committed false and a nil error.
//
// Inputs are validated and sorted before the write lock is taken, so other
// writers wait only for the batch's inserts. opts.Progress runs on the
// calling goroutine while the write lock is held: it must not write to the
// engine. A context that ends before the batch commits stops it: BulkCreate
// returns the context's error and nothing is written. An invalid org, or an
// invalid mode, is ErrValidation; after Close, ErrClosed.
func (e *Engine) BulkCreate(ctx context.Context, org string, items []model.GrantInput, opts bulk.Options) (bulk.Result, error) {
	// The batch is validated and sorted outside the lock: refuse a bad org
	// before that work.
	if err := e.admit(ctx, org); err != nil {
		return bulk.Result{}, err
	}
	batch, err := bulk.NewBatch(ctx, org, items, opts, e.val, e.clock())
	if err != nil {
		return bulk.Result{}, err
	}
	var res bulk.Result
	_, err = e.write(ctx, org, func(tx *store.WriteTxn) error {
		now := e.clock()
		var err error
		ids := batchIDs{g: &e.ids}
		res, err = batch.ApplyThen(ctx, tx, now, func() string { return ids.next(now) }, func() { e.deriveEarly(tx) })
		return err
	})
	if err != nil {
		return bulk.Result{}, err
	}
	return res, nil
}
