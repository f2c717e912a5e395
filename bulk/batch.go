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
	// order lists the valid inputs by (key, index): the order the store
	// wants inserts in, with each input right after the earlier inputs of
	// the same key.
	order []int32
	// rows[pos] is the row of input order[pos], made in that order.
	rows *store.PreparedGrants
	// failed are the inputs that failed validation, by index.
	failed []failure
	// validatedAt is the time the windows were checked at.
	validatedAt time.Time
}

// failure is an input that failed, with why.
type failure struct {
	i   int32
	err *model.Error
}

// NewBatch validates each input at time now (failing only that input),
// computes its store key, sorts the valid ones into store order and makes
// their rows in that order. Its errors are an invalid mode and ctx's error
// when ctx ends first.
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
		order:       make([]int32, 0, len(inputs)),
		validatedAt: now,
	}
	keys := make([]store.GrantKey, len(inputs))
	// Inputs are independent: a big batch is validated on two cores, each
	// half listing its valid inputs in order, and its rows are made on two
	// cores too.
	two := len(inputs) >= parallelAt && runtime.GOMAXPROCS(0) >= 2
	mid := len(inputs)
	if two {
		mid = len(inputs) / 2
	}
	var rest []int32
	var restFailed []failure
	var restErr error
	var wg sync.WaitGroup
	if mid < len(inputs) {
		wg.Go(func() {
			rest, restFailed, restErr = validate(ctx, org, inputs, keys, mid, len(inputs), v, now, nil, nil)
		})
	}
	var err error
	b.order, b.failed, err = validate(ctx, org, inputs, keys, 0, mid, v, now, b.order, nil)
	wg.Wait()
	if err == nil {
		err = restErr
	}
	if err != nil {
		return nil, err
	}
	b.order = append(b.order, rest...)
	b.failed = append(b.failed, restFailed...)
	store.SortKeys(keys, b.order)

	b.rows = store.NewPreparedGrants(org, len(b.order))
	input := func(pos int) (store.GrantKey, *model.GrantInput) {
		i := b.order[pos]
		return keys[i], &inputs[i]
	}
	mid = len(b.order)
	if two {
		mid = len(b.order) / 2
	}
	if mid < len(b.order) {
		wg.Go(func() { restErr = b.rows.Prepare(mid, len(b.order), input) })
	}
	err = b.rows.Prepare(0, mid, input)
	wg.Wait()
	if err == nil {
		err = restErr
	}
	if err != nil {
		return nil, err
	}
	return b, ctx.Err()
}

// parallelAt is how many inputs a batch has before it is validated on two
// goroutines: below it, starting one costs more than it saves.
const parallelAt = 1 << 14

// validate validates inputs lo to hi, keying the valid ones and returning
// order with them appended and failed with the others; its error is ctx's,
// when it ends first.
func validate(ctx context.Context, org string, inputs []model.GrantInput, keys []store.GrantKey, lo, hi int, v *model.Validator, now time.Time, order []int32, failed []failure) ([]int32, []failure, error) {
	var kb store.KeyBlocks
	for i := lo; i < hi; i++ {
		if (i-lo)%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		in := &inputs[i]
		if err := v.Grant(*in, now); err != nil {
			failed = append(failed, failure{int32(i), asModelError(err)})
			continue
		}
		keys[i] = kb.KeyOfEffect(org, in.Entity, in.Grantee, in.Effect)
		order = append(order, int32(i))
	}
	return order, failed, ctx.Err()
}

// maxItems bounds a batch so that item positions fit the int32 kept per
// item.
const maxItems = 1<<31 - 1

// FieldMode names the mode in errors: a batch's (Options.Mode) or an OpCreate
// job's (JobSpec.Mode).
const FieldMode = "mode"

// asModelError is err as a *model.Error, made one when it is not.
func asModelError(err error) *model.Error {
	var me *model.Error
	if !errors.As(err, &me) {
		me = model.NewError(model.CodeValidation, "", "%s", err.Error())
	}
	return me
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
