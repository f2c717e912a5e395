package bulk

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// ctxEvery is how many items a pass handles between two looks at its
// context: often enough that a cancelled million-item batch stops within a
// few milliseconds, rarely enough to cost nothing.
const ctxEvery = 4096

// Batch is a BulkCreate batch validated and put in store order, ready to be
// applied. Preparing it reads nothing stored, so it can be done before the
// write lock is taken; Apply then decides each item's outcome against the
// store and writes the batch in one transaction.
type Batch struct {
	org    string
	inputs []model.GrantInput
	opts   Options
	// keys[i] is the store key of input i, the zero key when it is invalid.
	keys []store.GrantKey
	// order lists the valid inputs by (key, index): the order the store
	// wants inserts in, with each input right after the earlier inputs of
	// the same key.
	order []int32
	items []Item
	// validatedAt is the time the windows were checked at.
	validatedAt time.Time
}

// NewBatch validates each input at time now (failing only that input),
// computes its store key and sorts the valid ones into store order. Its
// errors are an invalid mode and ctx's error when ctx ends first.
func NewBatch(ctx context.Context, org string, inputs []model.GrantInput, opts Options, v *model.Validator, now time.Time) (*Batch, error) {
	if opts.Mode < SkipDuplicates || opts.Mode > Upsert {
		return nil, model.NewError(model.CodeValidation, FieldMode, "mode must be one of {skip_duplicates, all_or_nothing, upsert}")
	}
	if len(inputs) > maxItems {
		return nil, model.NewError(model.CodeValidation, "", "a batch holds at most %d items", maxItems)
	}
	b := &Batch{
		org:         org,
		inputs:      inputs,
		opts:        opts,
		keys:        make([]store.GrantKey, len(inputs)),
		order:       make([]int32, 0, len(inputs)),
		items:       make([]Item, len(inputs)),
		validatedAt: now,
	}
	// Inputs are independent: a big batch is validated on two cores, each
	// half listing its valid inputs in order.
	mid := len(inputs)
	if len(inputs) >= parallelAt && runtime.GOMAXPROCS(0) >= 2 {
		mid = len(inputs) / 2
	}
	var rest []int32
	var restErr error
	var wg sync.WaitGroup
	if mid < len(inputs) {
		wg.Go(func() { rest, restErr = b.validate(ctx, mid, len(inputs), v, now, nil) })
	}
	var err error
	b.order, err = b.validate(ctx, 0, mid, v, now, b.order)
	wg.Wait()
	if err == nil {
		err = restErr
	}
	if err != nil {
		return nil, err
	}
	b.order = append(b.order, rest...)
	store.SortKeys(b.keys, b.order)
	return b, nil
}

// parallelAt is how many inputs a batch has before it is validated on two
// goroutines: below it, starting one costs more than it saves.
const parallelAt = 1 << 14

// validate validates inputs lo to hi, failing the invalid ones and keying
// the others, and returns order with the valid ones appended; its error is
// ctx's, when it ends first.
func (b *Batch) validate(ctx context.Context, lo, hi int, v *model.Validator, now time.Time, order []int32) ([]int32, error) {
	for i := lo; i < hi; i++ {
		if (i-lo)%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		in := &b.inputs[i]
		b.items[i].Index = i
		if err := v.Grant(*in, now); err != nil {
			b.fail(i, err)
			continue
		}
		b.keys[i] = store.KeyOfEffect(b.org, in.Entity, in.Grantee, in.Effect)
		order = append(order, int32(i))
	}
	return order, ctx.Err()
}

// maxItems bounds a batch so that item positions fit the int32 kept per
// item.
const maxItems = 1<<31 - 1

// FieldMode names the mode in errors: a batch's (Options.Mode) or an OpCreate
// job's (JobSpec.Mode).
const FieldMode = "mode"

// fail records that item i failed with err, which becomes a *model.Error if
// it is not one already.
func (b *Batch) fail(i int, err error) {
	var me *model.Error
	if !errors.As(err, &me) {
		me = model.NewError(model.CodeValidation, "", "%s", err.Error())
	}
	b.items[i].Status = StatusFailed
	b.items[i].Err = me
}

// duplicateOfStored is the error of an input whose key already has the live
// grant existing (the same key: the same grantee and entity as in).
func duplicateOfStored(existing *model.Grant) error {
	return model.DuplicateGrantError(*existing)
}

func duplicateInBatch(in *model.GrantInput, first int) error {
	return model.NewError(model.CodeDuplicate, model.FieldGranteeID,
		"%s already has a grant on %s in this batch (item %d)", in.Grantee, in.Entity, first)
}
