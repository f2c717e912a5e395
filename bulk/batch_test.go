package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

var batchNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// batchStore applies batches to a store as the engine's BulkCreate does:
// NewBatch outside the transaction, Apply inside it, commit on success.
type batchStore struct {
	t    *testing.T
	s    *store.Store
	v    *model.Validator
	next int
}

func newBatchStore(t *testing.T) *batchStore {
	s, err := store.New()
	require.NoError(t, err)
	v, err := model.NewValidator()
	require.NoError(t, err)
	return &batchStore{t: t, s: s, v: v}
}

func (b *batchStore) apply(ctx context.Context, inputs []model.GrantInput, opts bulk.Options, now time.Time) (bulk.Result, error) {
	batch, err := bulk.NewBatch(ctx, "org_a", inputs, opts, b.v, now)
	if err != nil {
		return bulk.Result{}, err
	}
	tx := b.s.Write()
	defer tx.Abort()
	res, err := batch.Apply(ctx, tx, now, func() string {
		b.next++
		return fmt.Sprintf("agrant_%04d", b.next)
	})
	if err != nil {
		return bulk.Result{}, err
	}
	tx.Commit()
	return res, nil
}

func (b *batchStore) mustApply(inputs []model.GrantInput, opts bulk.Options) bulk.Result {
	b.t.Helper()
	res, err := b.apply(context.Background(), inputs, opts, batchNow)
	require.NoError(b.t, err)
	return res
}

func (b *batchStore) stored(entity, user string) (model.Grant, bool) {
	return b.s.Snapshot().Read().GrantByKey("org_a", model.EntityRef{Type: "doc", ID: entity}, model.User(user))
}

func input(entity, user string, level model.Level) model.GrantInput {
	return model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: entity}, Grantee: model.User(user), Level: level, GrantedBy: "admin"}
}

func statuses(res bulk.Result) []bulk.Status {
	out := make([]bulk.Status, len(res.Items))
	for i, it := range res.Items {
		out[i] = it.Status
	}
	return out
}

func TestBatchSkipDuplicates(t *testing.T) {
	b := newBatchStore(t)
	first := b.mustApply([]model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{})
	require.Equal(t, bulk.StatusCreated, first.Items[0].Status)

	bad := input("d3", "u1", model.LevelRead)
	bad.Grantee.ID = ""
	res := b.mustApply([]model.GrantInput{
		input("d2", "u1", model.LevelWrite), // new
		input("d1", "u1", model.LevelAdmin), // stored: skipped, carries the stored grant
		input("d2", "u1", model.LevelRead),  // repeats item 0: skipped, carries item 0's grant
		bad,                                 // invalid
	}, bulk.Options{})
	assert.True(t, res.Committed)
	assert.Equal(t, []bulk.Status{bulk.StatusCreated, bulk.StatusSkipped, bulk.StatusSkipped, bulk.StatusFailed}, statuses(res))
	assert.Equal(t, bulk.Summary{Total: 4, Succeeded: 1, Skipped: 2, Failed: 1}, res.Summary)
	assert.Equal(t, first.Items[0].Grant, res.Items[1].Grant)
	assert.Equal(t, res.Items[0].Grant, res.Items[2].Grant)
	assert.ErrorIs(t, res.Items[3].Err, model.ErrValidation)
	assert.Equal(t, http.StatusMultiStatus, res.HTTPStatus())

	g, ok := b.stored("d1", "u1")
	require.True(t, ok)
	assert.Equal(t, model.LevelRead, g.Level, "a skipped duplicate is left alone")
	g, ok = b.stored("d2", "u1")
	require.True(t, ok)
	assert.Equal(t, model.LevelWrite, g.Level)
	assert.Equal(t, "admin", g.GrantedBy)
}

func TestBatchAllOrNothing(t *testing.T) {
	b := newBatchStore(t)
	b.mustApply([]model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{})
	rev := b.s.Snapshot().Revision()

	res := b.mustApply([]model.GrantInput{
		input("d2", "u1", model.LevelRead),
		input("d1", "u1", model.LevelRead), // duplicate of the stored grant
		input("d2", "u1", model.LevelRead), // duplicate of item 0
	}, bulk.Options{Mode: bulk.AllOrNothing})
	assert.False(t, res.Committed)
	assert.Equal(t, []bulk.Status{bulk.StatusRolledBack, bulk.StatusFailed, bulk.StatusFailed}, statuses(res))
	assert.Equal(t, bulk.Summary{Total: 3, Failed: 2}, res.Summary)
	assert.ErrorIs(t, res.Items[1].Err, model.ErrDuplicate)
	assert.Contains(t, res.Items[2].Err.Error(), "in this batch (item 0)")
	assert.Zero(t, res.Items[0].Grant, "a rolled-back item has no grant")
	assert.Equal(t, http.StatusConflict, res.HTTPStatus())
	assert.Equal(t, rev, b.s.Snapshot().Revision(), "nothing written")
	_, ok := b.stored("d2", "u1")
	assert.False(t, ok)

	bad := input("d3", "u1", model.LevelNone)
	res = b.mustApply([]model.GrantInput{bad}, bulk.Options{Mode: bulk.AllOrNothing})
	assert.Equal(t, http.StatusUnprocessableEntity, res.HTTPStatus())

	res = b.mustApply([]model.GrantInput{input("d3", "u1", model.LevelRead), input("d4", "u1", model.LevelRead)},
		bulk.Options{Mode: bulk.AllOrNothing})
	assert.True(t, res.Committed)
	assert.Equal(t, bulk.Summary{Total: 2, Succeeded: 2}, res.Summary)
	assert.Equal(t, http.StatusOK, res.HTTPStatus())
}

func TestBatchUpsert(t *testing.T) {
	b := newBatchStore(t)
	first := b.mustApply([]model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{}).Items[0].Grant

	end := batchNow.Add(time.Hour).In(time.FixedZone("CET", 3600))
	windowed := input("d1", "u1", model.LevelAdmin)
	windowed.EffectiveTo = end
	res := b.mustApply([]model.GrantInput{
		windowed,                            // updates the stored grant
		input("d2", "u1", model.LevelRead),  // new
		input("d2", "u1", model.LevelAdmin), // updates item 1's new grant
	}, bulk.Options{Mode: bulk.Upsert})
	assert.Equal(t, []bulk.Status{bulk.StatusUpdated, bulk.StatusCreated, bulk.StatusUpdated}, statuses(res))
	assert.Equal(t, bulk.Summary{Total: 3, Succeeded: 3}, res.Summary)

	g, ok := b.stored("d1", "u1")
	require.True(t, ok)
	assert.Equal(t, first.ID, g.ID, "an update keeps the id")
	assert.Equal(t, first.CreatedAt, g.CreatedAt)
	assert.Equal(t, model.LevelAdmin, g.Level)
	assert.Equal(t, end.UTC(), g.EffectiveTo)
	assert.Equal(t, time.UTC, g.EffectiveTo.Location())
	assert.Equal(t, g, res.Items[0].Grant)

	g, ok = b.stored("d2", "u1")
	require.True(t, ok)
	assert.Equal(t, model.LevelAdmin, g.Level, "the last input of a key wins")
	assert.Equal(t, res.Items[1].Grant.ID, g.ID)
}

// An ended grant behaves as revoked: a new input of its key creates a grant.
func TestBatchReplacesEndedGrant(t *testing.T) {
	b := newBatchStore(t)
	in := input("d1", "u1", model.LevelRead)
	in.EffectiveTo = batchNow.Add(time.Minute)
	old := b.mustApply([]model.GrantInput{in}, bulk.Options{}).Items[0].Grant
	res, err := b.apply(context.Background(), []model.GrantInput{input("d1", "u1", model.LevelWrite)},
		bulk.Options{Mode: bulk.AllOrNothing}, batchNow.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, bulk.StatusCreated, res.Items[0].Status)
	assert.NotEqual(t, old.ID, res.Items[0].Grant.ID)
}

// A window that ends between NewBatch and Apply fails its item at Apply.
func TestBatchRechecksWindowsAtApply(t *testing.T) {
	b := newBatchStore(t)
	in := input("d1", "u1", model.LevelRead)
	in.EffectiveTo = batchNow.Add(time.Second)
	batch, err := bulk.NewBatch(context.Background(), "org_a", []model.GrantInput{in, input("d2", "u1", model.LevelRead)},
		bulk.Options{}, b.v, batchNow)
	require.NoError(t, err)
	tx := b.s.Write()
	defer tx.Abort()
	later := batchNow.Add(time.Minute)
	res, err := batch.Apply(context.Background(), tx, later, func() string { return "agrant_x" })
	require.NoError(t, err)
	assert.Equal(t, []bulk.Status{bulk.StatusFailed, bulk.StatusCreated}, statuses(res))
	var me *model.Error
	require.ErrorAs(t, res.Items[0].Err, &me)
	assert.Equal(t, model.FieldEffectiveTo, me.Field)
}

func TestBatchProgress(t *testing.T) {
	b := newBatchStore(t)
	const n = 1000
	inputs := make([]model.GrantInput, n)
	for i := range inputs {
		inputs[i] = input(fmt.Sprintf("d%04d", i), "u1", model.LevelRead)
	}
	var calls [][2]int
	res := b.mustApply(inputs, bulk.Options{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	assert.Equal(t, n, res.Summary.Succeeded)
	require.NotEmpty(t, calls)
	assert.LessOrEqual(t, len(calls), 300, "throttled")
	for i, c := range calls {
		assert.Equal(t, n, c[1])
		if i > 0 {
			assert.Greater(t, c[0], calls[i-1][0], "done only grows")
		}
	}
	assert.Equal(t, [2]int{n, n}, calls[len(calls)-1])

	calls = nil
	b.mustApply(inputs[:3], bulk.Options{Mode: bulk.AllOrNothing, Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	assert.Equal(t, [2]int{3, 3}, calls[len(calls)-1], "a refused batch reports its end too")
}

func TestNewBatchRefuses(t *testing.T) {
	b := newBatchStore(t)
	_, err := bulk.NewBatch(context.Background(), "org_a", nil, bulk.Options{Mode: bulk.Mode(9)}, b.v, batchNow)
	var me *model.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, bulk.FieldMode, me.Field)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = bulk.NewBatch(ctx, "org_a", []model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{}, b.v, batchNow)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestBatchApplyStopsOnCancelledContext(t *testing.T) {
	b := newBatchStore(t)
	batch, err := bulk.NewBatch(context.Background(), "org_a", []model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{}, b.v, batchNow)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tx := b.s.Write()
	defer tx.Abort()
	_, err = batch.Apply(ctx, tx, batchNow, func() string { return "agrant_x" })
	assert.ErrorIs(t, err, context.Canceled)
}

// Every item failing (none duplicate) is 422; failures that are all
// duplicates, with nothing else, are 409.
func TestResultHTTPStatusOfCommittedFailures(t *testing.T) {
	b := newBatchStore(t)
	b.mustApply([]model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{})
	bad := input("d2", "u1", model.LevelRead)
	bad.Entity.ID = ""
	assert.Equal(t, http.StatusUnprocessableEntity, b.mustApply([]model.GrantInput{bad}, bulk.Options{}).HTTPStatus())
	assert.Equal(t, http.StatusOK, b.mustApply([]model.GrantInput{input("d1", "u1", model.LevelRead)}, bulk.Options{}).HTTPStatus(),
		"a batch of skipped items is fine")
}

// A batch big enough to be validated and sorted on two goroutines decides
// each item as a small one does: invalid items fail in place on both
// halves, a duplicate in the second half of one in the first is skipped,
// and every other item is created and stored.
func TestBatchBigSplitsTheWork(t *testing.T) {
	const n = 40_000
	inputs := make([]model.GrantInput, n)
	for i := range inputs {
		inputs[i] = input(fmt.Sprintf("d%05d", (i*7919)%n), fmt.Sprintf("u%d", i%13), model.LevelRead)
		if i%1000 == 999 {
			inputs[i].Level = model.LevelNone // invalid
		}
	}
	inputs[n-1] = inputs[0] // a duplicate across the halves
	b := newBatchStore(t)
	res := b.mustApply(inputs, bulk.Options{})
	for i, it := range res.Items {
		want := bulk.StatusCreated
		switch {
		case i == n-1:
			want = bulk.StatusSkipped
		case i%1000 == 999:
			want = bulk.StatusFailed
		}
		require.Equal(t, want, it.Status, "item %d", i)
		require.Equal(t, i, it.Index)
	}
	failed := n/1000 - 1 // item n-1, invalid before, is the duplicate now
	assert.Equal(t, bulk.Summary{Total: n, Succeeded: n - failed - 1, Skipped: 1, Failed: failed}, res.Summary)
	g, ok := b.stored(inputs[0].Entity.ID, inputs[0].Grantee.ID)
	require.True(t, ok)
	assert.Equal(t, res.Items[0].Grant, g)
	assert.Equal(t, g, res.Items[n-1].Grant)
}
