package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// bulkCreate runs a batch that the test expects to be answered (committed
// or refused), and checks what every Result must satisfy.
func bulkCreate(t testing.TB, e *engine.Engine, items []model.GrantInput, opts bulk.Options) bulk.Result {
	t.Helper()
	res, err := e.BulkCreate(context.Background(), testOrg, items, opts)
	require.NoError(t, err)
	requireWellFormedResult(t, res, len(items))
	return res
}

// requireWellFormedResult checks one Item per input in input order, Err set
// exactly on failed items and always a *model.Error, and a Summary that
// counts the items.
func requireWellFormedResult(t testing.TB, res bulk.Result, n int) {
	t.Helper()
	require.Len(t, res.Items, n)
	var sum bulk.Summary
	sum.Total = n
	for i, it := range res.Items {
		require.Equal(t, i, it.Index, "item %d", i)
		switch it.Status {
		case bulk.StatusCreated, bulk.StatusUpdated:
			sum.Succeeded++
		case bulk.StatusSkipped:
			sum.Skipped++
		case bulk.StatusFailed:
			sum.Failed++
		}
		if it.Status == bulk.StatusFailed {
			var me *model.Error
			require.ErrorAs(t, it.Err, &me, "item %d: want a *model.Error, got %T", i, it.Err)
		} else {
			require.NoError(t, it.Err, "item %d (%s)", i, it.Status)
		}
	}
	require.Equal(t, sum, res.Summary)
}

func statuses(res bulk.Result) []bulk.Status {
	out := make([]bulk.Status, len(res.Items))
	for i, it := range res.Items {
		out[i] = it.Status
	}
	return out
}

func withLevel(in model.GrantInput, l model.Level) model.GrantInput {
	in.Level = l
	return in
}

func TestBulkCreateModes(t *testing.T) {
	const (
		C = bulk.StatusCreated
		U = bulk.StatusUpdated
		S = bulk.StatusSkipped
		F = bulk.StatusFailed
		R = bulk.StatusRolledBack
	)
	// The batch: a new grant, a duplicate of a stored grant, another new
	// grant, an invalid input and a repeat of the first input.
	batch := []model.GrantInput{
		grantInput("d1", "bob"),
		withLevel(grantInput("d1", "alice"), model.LevelAdmin),
		grantInput("d2", "carol"),
		withLevel(grantInput("d3", "dave"), model.LevelNone),
		withLevel(grantInput("d1", "bob"), model.LevelWrite),
	}
	tests := []struct {
		mode       bulk.Mode
		want       []bulk.Status
		failCodes  map[int]error
		committed  bool
		httpStatus int
		stored     map[string]model.Level // "entity/user" -> level after the batch
	}{
		{
			mode:       bulk.SkipDuplicates,
			want:       []bulk.Status{C, S, C, F, S},
			failCodes:  map[int]error{3: model.ErrValidation},
			committed:  true,
			httpStatus: 207,
			stored:     map[string]model.Level{"d1/alice": model.LevelRead, "d1/bob": model.LevelRead, "d2/carol": model.LevelRead},
		},
		{
			mode:       bulk.AllOrNothing,
			want:       []bulk.Status{R, F, R, F, F},
			failCodes:  map[int]error{1: model.ErrDuplicate, 3: model.ErrValidation, 4: model.ErrDuplicate},
			committed:  false,
			httpStatus: 422,
			stored:     map[string]model.Level{"d1/alice": model.LevelRead},
		},
		{
			mode:       bulk.Upsert,
			want:       []bulk.Status{C, U, C, F, U},
			failCodes:  map[int]error{3: model.ErrValidation},
			committed:  true,
			httpStatus: 207,
			stored:     map[string]model.Level{"d1/alice": model.LevelAdmin, "d1/bob": model.LevelWrite, "d2/carol": model.LevelRead},
		},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.mode), func(t *testing.T) {
			e, _ := newTestEngine(t)
			alice := mustCreate(t, e, testOrg, grantInput("d1", "alice"))

			res := bulkCreate(t, e, batch, bulk.Options{Mode: tc.mode})

			assert.Equal(t, tc.want, statuses(res))
			assert.Equal(t, tc.committed, res.Committed)
			assert.Equal(t, tc.httpStatus, res.HTTPStatus())
			for i, sentinel := range tc.failCodes {
				assert.ErrorIs(t, res.Items[i].Err, sentinel, "item %d", i)
			}
			stored := map[string]model.Level{}
			byKey := map[string]model.Grant{}
			for _, g := range listAll(t, e, testOrg, model.GrantQuery{}) {
				stored[g.Entity.ID+"/"+g.Grantee.ID] = g.Level
				byKey[g.Entity.ID+"/"+g.Grantee.ID] = g
			}
			assert.Equal(t, tc.stored, stored)
			// The stored grant of alice keeps its id whatever the mode.
			assert.Equal(t, alice.ID, byKey["d1/alice"].ID)
			// Items carry the grant as stored (or as it would be seen).
			for i, it := range res.Items {
				switch it.Status {
				case C, U, S:
					g := byKey[it.Grant.Entity.ID+"/"+it.Grant.Grantee.ID]
					assert.Equal(t, g.ID, it.Grant.ID, "item %d", i)
				default:
					assert.Equal(t, model.Grant{}, it.Grant, "item %d", i)
				}
			}
		})
	}
}

func TestBulkCreateDuplicatesCarryTheirGrant(t *testing.T) {
	e, clock := newTestEngine(t)
	stored := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	clock.Advance(time.Minute)
	batch := []model.GrantInput{
		grantInput("d1", "alice"),                              // the stored grant
		grantInput("d2", "bob"),                                // new
		withLevel(grantInput("d2", "bob"), model.LevelWrite),   // repeats item 1
		withLevel(grantInput("d2", "bob"), model.LevelAdmin),   // and again
		withLevel(grantInput("d1", "alice"), model.LevelWrite), // the stored grant again
	}

	t.Run("skip", func(t *testing.T) {
		res := bulkCreate(t, e, batch[:4], bulk.Options{Mode: bulk.SkipDuplicates})
		assert.Equal(t, stored, res.Items[0].Grant, "a skipped item carries the stored grant")
		created := res.Items[1].Grant
		assert.Equal(t, model.LevelRead, created.Level)
		assert.Equal(t, created, res.Items[2].Grant, "an in-batch repeat carries the earlier input's new grant")
		assert.Equal(t, created, res.Items[3].Grant)
		got, err := e.GetGrant(context.Background(), testOrg, created.ID)
		require.NoError(t, err)
		assert.Equal(t, created, got)
	})

	t.Run("upsert", func(t *testing.T) {
		clock.Advance(time.Minute)
		now := clock.Now().UTC()
		res := bulkCreate(t, e, batch, bulk.Options{Mode: bulk.Upsert})
		assert.Equal(t, []bulk.Status{"updated", "updated", "updated", "updated", "updated"}, statuses(res))
		// Each update is seen as the input left it; the last one is stored.
		assert.Equal(t, model.LevelRead, res.Items[0].Grant.Level)
		assert.Equal(t, model.LevelWrite, res.Items[2].Grant.Level)
		assert.Equal(t, model.LevelAdmin, res.Items[3].Grant.Level)
		for _, i := range []int{0, 4} {
			g := res.Items[i].Grant
			assert.Equal(t, stored.ID, g.ID)
			assert.Equal(t, stored.CreatedAt, g.CreatedAt)
			assert.Equal(t, now, g.UpdatedAt)
		}
		got, err := e.GetGrant(context.Background(), testOrg, stored.ID)
		require.NoError(t, err)
		assert.Equal(t, res.Items[4].Grant, got)
		assert.Equal(t, model.LevelWrite, got.Level)
	})
}

func TestBulkCreateUpsertWindowAndIDs(t *testing.T) {
	e, clock := newTestEngine(t)
	old := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	clock.Advance(time.Hour)
	from, to := t0.Add(2*time.Hour), t0.Add(48*time.Hour)
	in := withLevel(grantInput("d1", "alice"), model.LevelWrite)
	in.EffectiveFrom, in.EffectiveTo, in.GrantedBy = from, to, "usr_other"

	res := bulkCreate(t, e, []model.GrantInput{in, grantInput("d9", "zed")}, bulk.Options{Mode: bulk.Upsert})
	assert.Equal(t, []bulk.Status{bulk.StatusUpdated, bulk.StatusCreated}, statuses(res))
	got, err := e.GetGrant(context.Background(), testOrg, old.ID)
	require.NoError(t, err)
	assert.Equal(t, model.LevelWrite, got.Level)
	assert.Equal(t, from.UTC(), got.EffectiveFrom)
	assert.Equal(t, to.UTC(), got.EffectiveTo)
	assert.Equal(t, old.GrantedBy, got.GrantedBy, "an update takes the level and window only")
	assert.Equal(t, old.CreatedAt, got.CreatedAt)
	assert.Equal(t, clock.Now().UTC(), got.UpdatedAt)
	assert.Greater(t, res.Items[1].Grant.ID, old.ID, "new ids sort after older ones")
}

func TestBulkCreateReplacesAnEndedGrant(t *testing.T) {
	for _, mode := range []bulk.Mode{bulk.SkipDuplicates, bulk.AllOrNothing, bulk.Upsert} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			e, clock := newTestEngine(t)
			in := grantInput("d1", "alice")
			in.EffectiveTo = t0.Add(time.Hour)
			ended := mustCreate(t, e, testOrg, in)
			clock.Advance(2 * time.Hour)

			res := bulkCreate(t, e, []model.GrantInput{grantInput("d1", "alice")}, bulk.Options{Mode: mode})
			require.Equal(t, []bulk.Status{bulk.StatusCreated}, statuses(res))
			assert.NotEqual(t, ended.ID, res.Items[0].Grant.ID, "an ended grant is not a duplicate: a new grant replaces it")
			_, err := e.GetGrant(context.Background(), testOrg, ended.ID)
			assert.ErrorIs(t, err, model.ErrNotFound)
			assert.Equal(t, []string{res.Items[0].Grant.ID}, grantIDs(listAll(t, e, testOrg, model.GrantQuery{})))
		})
	}
}

func TestBulkCreateInvalidItemPositions(t *testing.T) {
	bad := model.GrantInput{Entity: doc("dx"), Grantee: model.Subject{Type: "robot", ID: "r2"}, Level: model.LevelRead}
	const n = 5
	for _, pos := range []int{0, n / 2, n - 1} {
		for _, mode := range []bulk.Mode{bulk.SkipDuplicates, bulk.AllOrNothing, bulk.Upsert} {
			t.Run(fmt.Sprintf("at%d/%v", pos, mode), func(t *testing.T) {
				e, _ := newTestEngine(t)
				items := make([]model.GrantInput, n)
				for i := range items {
					items[i] = grantInput(fmt.Sprintf("d%d", i), "alice")
				}
				items[pos] = bad

				res := bulkCreate(t, e, items, bulk.Options{Mode: mode})

				me := requireModelError(t, res.Items[pos].Err, model.ErrValidation, model.FieldGranteeType)
				assert.Contains(t, me.Message, "grantee_type must be one of")
				stored := listAll(t, e, testOrg, model.GrantQuery{})
				if mode == bulk.AllOrNothing {
					assert.False(t, res.Committed)
					assert.Equal(t, 422, res.HTTPStatus())
					assert.Empty(t, stored)
					for i, it := range res.Items {
						if i != pos {
							assert.Equal(t, bulk.StatusRolledBack, it.Status)
						}
					}
					return
				}
				assert.True(t, res.Committed)
				assert.Equal(t, 207, res.HTTPStatus())
				assert.Equal(t, bulk.Summary{Total: n, Succeeded: n - 1, Failed: 1}, res.Summary)
				assert.Len(t, stored, n-1)
			})
		}
	}
}

func TestBulkCreateAllOrNothingFailingOnItsLastItem(t *testing.T) {
	e, _ := newTestEngine(t)
	items := make([]model.GrantInput, 1000)
	for i := range items {
		items[i] = grantInput(fmt.Sprintf("d%04d", i), "alice")
	}
	items[len(items)-1] = items[0] // repeats the first input

	res := bulkCreate(t, e, items, bulk.Options{Mode: bulk.AllOrNothing})

	assert.False(t, res.Committed)
	assert.Equal(t, bulk.Summary{Total: 1000, Failed: 1}, res.Summary)
	requireModelError(t, res.Items[999].Err, model.ErrDuplicate, model.FieldGranteeID)
	assert.Equal(t, bulk.StatusRolledBack, res.Items[0].Status)
	assert.Equal(t, 409, res.HTTPStatus(), "every failure is a duplicate")
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{}))

	// The same batch without the repeat commits whole.
	res = bulkCreate(t, e, items[:999], bulk.Options{Mode: bulk.AllOrNothing})
	assert.True(t, res.Committed)
	assert.Equal(t, 200, res.HTTPStatus())
	assert.Len(t, listAll(t, e, testOrg, model.GrantQuery{}), 999)
}

func TestBulkCreateAllSkipped(t *testing.T) {
	e, _ := newTestEngine(t)
	items := []model.GrantInput{grantInput("d1", "alice"), grantInput("d2", "alice")}
	first := bulkCreate(t, e, items, bulk.Options{})
	before := listAll(t, e, testOrg, model.GrantQuery{})

	res := bulkCreate(t, e, append(items, items...), bulk.Options{})

	assert.Equal(t, bulk.Summary{Total: 4, Skipped: 4}, res.Summary)
	assert.True(t, res.Committed)
	assert.Equal(t, 200, res.HTTPStatus(), "all skipped is not a failure")
	for i, it := range res.Items {
		assert.Equal(t, first.Items[i%2].Grant, it.Grant)
	}
	assert.Equal(t, before, listAll(t, e, testOrg, model.GrantQuery{}))
}

func TestBulkCreateOnlyFailures(t *testing.T) {
	e, _ := newTestEngine(t)
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	dup := grantInput("d1", "alice")
	invalid := withLevel(grantInput("d2", "alice"), model.LevelNone)
	tests := []struct {
		name  string
		items []model.GrantInput
		want  int
	}{
		{"duplicates only", []model.GrantInput{dup}, 200}, // skipped, not failed
		{"invalid only", []model.GrantInput{invalid}, 422},
		{"invalid and duplicate", []model.GrantInput{invalid, dup}, 207},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := bulkCreate(t, e, tc.items, bulk.Options{})
			assert.Equal(t, tc.want, res.HTTPStatus())
		})
	}
	res := bulkCreate(t, e, []model.GrantInput{dup, dup}, bulk.Options{Mode: bulk.AllOrNothing})
	assert.Equal(t, 409, res.HTTPStatus())
}

func TestBulkCreateEmptyBatch(t *testing.T) {
	e, _ := newTestEngine(t)
	var calls [][2]int
	res, err := e.BulkCreate(context.Background(), testOrg, nil, bulk.Options{Progress: func(d, n int) { calls = append(calls, [2]int{d, n}) }})
	require.NoError(t, err)
	assert.Equal(t, bulk.Summary{}, res.Summary)
	assert.Empty(t, res.Items)
	assert.True(t, res.Committed)
	assert.Equal(t, 200, res.HTTPStatus())
	assert.Equal(t, [][2]int{{0, 0}}, calls)
}

func TestBulkCreateRefusesBadCalls(t *testing.T) {
	e, _ := newTestEngine(t)
	items := []model.GrantInput{grantInput("d1", "alice")}

	_, err := e.BulkCreate(context.Background(), "", items, bulk.Options{})
	requireModelError(t, err, model.ErrValidation, model.FieldOrg)

	_, err = e.BulkCreate(context.Background(), testOrg, items, bulk.Options{Mode: bulk.Mode(9)})
	requireModelError(t, err, model.ErrValidation, bulk.FieldMode)

	require.NoError(t, e.Close())
	_, err = e.BulkCreate(context.Background(), testOrg, items, bulk.Options{})
	assert.ErrorIs(t, err, model.ErrClosed)
}

func TestBulkCreateOrganisationsAreSeparate(t *testing.T) {
	e, _ := newTestEngine(t)
	mustCreate(t, e, otherOrg, grantInput("d1", "alice"))
	res := bulkCreate(t, e, []model.GrantInput{grantInput("d1", "alice")}, bulk.Options{Mode: bulk.AllOrNothing})
	assert.True(t, res.Committed, "another organisation's grant is no duplicate")
	assert.Len(t, listAll(t, e, otherOrg, model.GrantQuery{}), 1)
	assert.Len(t, listAll(t, e, testOrg, model.GrantQuery{}), 1)
}

func TestBulkCreateProgress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		mode  bulk.Mode
		dupAt int // -1: none
	}{
		{"small", 3, bulk.SkipDuplicates, -1},
		{"large", 20_000, bulk.SkipDuplicates, -1},
		{"refused", 5_000, bulk.AllOrNothing, 4_000},
		{"upsert", 10_000, bulk.Upsert, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			items := make([]model.GrantInput, tc.n)
			for i := range items {
				items[i] = grantInput(fmt.Sprintf("d%06d", i%(tc.n/2+1)), fmt.Sprintf("u%d", i%7))
			}
			if tc.dupAt >= 0 {
				items[tc.dupAt] = items[0]
			}
			var calls [][2]int // appended without a lock: the race detector checks the calls are not concurrent
			returned := false
			opts := bulk.Options{Mode: tc.mode, Progress: func(done, total int) {
				assert.False(t, returned, "progress after BulkCreate returned")
				calls = append(calls, [2]int{done, total})
			}}
			_, err := e.BulkCreate(context.Background(), testOrg, items, opts)
			returned = true
			require.NoError(t, err)

			require.NotEmpty(t, calls)
			assert.LessOrEqual(t, len(calls), 300, "a few hundred calls at most")
			assert.Equal(t, [2]int{tc.n, tc.n}, calls[len(calls)-1])
			for i, c := range calls {
				assert.Equal(t, tc.n, c[1])
				if i > 0 {
					assert.GreaterOrEqual(t, c[0], calls[i-1][0], "done never decreases")
				}
			}
		})
	}
}

func TestBulkCreateCancelledMidBatch(t *testing.T) {
	e, _ := newTestEngine(t)
	items := make([]model.GrantInput, 50_000)
	for i := range items {
		items[i] = grantInput(fmt.Sprintf("d%06d", i), "alice")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls int
	opts := bulk.Options{Progress: func(done, total int) {
		calls++
		if done > total/3 {
			cancel() // the batch is being written: stop it there
		}
	}}

	_, err := e.BulkCreate(ctx, testOrg, items, opts)

	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, calls, 256, "the batch stopped before its end")
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{}), "the store is untouched")
	// The engine still writes afterwards.
	res := bulkCreate(t, e, items[:10], bulk.Options{})
	assert.Equal(t, 10, res.Summary.Succeeded)

	_, err = e.BulkCreate(ctx, testOrg, items, bulk.Options{})
	assert.ErrorIs(t, err, context.Canceled, "a context ended before the call")
}

// TestBulkCreateIsOneTransaction runs readers while a 100k batch commits: a
// watcher user has grants on the first and the last key of the batch, so
// one read of its grants sees both or neither, never one.
func TestBulkCreateIsOneTransaction(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000 // the property does not depend on the size
	}
	e, _ := newTestEngine(t)
	items := make([]model.GrantInput, 0, n)
	items = append(items, grantInput("d000000", "watcher"))
	for i := 1; len(items) < n-1; i++ {
		items = append(items, grantInput(fmt.Sprintf("d%06d", i/4), fmt.Sprintf("u%d", i%4)))
	}
	items = append(items, grantInput("d999999", "watcher"))
	watcher := model.GrantQuery{Grantee: model.User("watcher")}

	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		seen  sync.Map // number of watcher grants seen -> true
		reads atomic.Int64
	)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				page, err := e.ListGrants(context.Background(), testOrg, watcher)
				if !assert.NoError(t, err) {
					return
				}
				seen.Store(len(page.Grants), true)
				reads.Add(1)
			}
		})
	}
	res, err := e.BulkCreate(context.Background(), testOrg, items, bulk.Options{})
	stop.Store(true)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, n, res.Summary.Succeeded)

	seen.Range(func(k, _ any) bool {
		assert.Contains(t, []int{0, 2}, k.(int), "a reader saw part of the batch")
		return true
	})
	assert.Positive(t, reads.Load())
	page, err := e.ListGrants(context.Background(), testOrg, watcher)
	require.NoError(t, err)
	assert.Len(t, page.Grants, 2)
}

func TestBulkCreateConcurrentBatches(t *testing.T) {
	e, _ := newTestEngine(t)
	var wg sync.WaitGroup
	results := make([]bulk.Result, 4)
	for b := range results {
		wg.Go(func() {
			items := make([]model.GrantInput, 500)
			for i := range items {
				// Batches overlap by half: each key is created by one batch
				// and skipped by the other.
				items[i] = grantInput(fmt.Sprintf("d%04d", b*250+i), "alice")
			}
			res, err := e.BulkCreate(context.Background(), testOrg, items, bulk.Options{})
			if assert.NoError(t, err) {
				results[b] = res
			}
		})
	}
	wg.Wait()
	created := 0
	for _, res := range results {
		created += res.Summary.Succeeded
		assert.Zero(t, res.Summary.Failed)
	}
	stored := listAll(t, e, testOrg, model.GrantQuery{})
	assert.Len(t, stored, 1250)
	assert.Equal(t, 1250, created, "each key created exactly once")
}

func TestBulkCreateReturnsCopies(t *testing.T) {
	e, _ := newTestEngine(t)
	res := bulkCreate(t, e, []model.GrantInput{grantInput("d1", "alice")}, bulk.Options{})
	id := res.Items[0].Grant.ID
	res.Items[0].Grant.Level = model.LevelAdmin
	got, err := e.GetGrant(context.Background(), testOrg, id)
	require.NoError(t, err)
	assert.Equal(t, model.LevelRead, got.Level)
	assert.False(t, errors.Is(res.Items[0].Err, model.ErrDuplicate))
}
