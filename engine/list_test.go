package engine_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// keyOrder is the order ListGrants promises: entity, then grantee.
func keyOrder(a, b model.Grant) int {
	return cmp.Or(
		cmp.Compare(a.Entity.Type, b.Entity.Type),
		cmp.Compare(a.Entity.ID, b.Entity.ID),
		cmp.Compare(a.Grantee.Type, b.Grantee.Type),
		cmp.Compare(a.Grantee.ID, b.Grantee.ID),
	)
}

func TestListGrantsFilters(t *testing.T) {
	e, _ := newTestEngine(t)
	entities := []model.EntityRef{doc("a"), doc("ab"), doc("b"), doc("b2"), folder("a"), folder("z"),
		{Type: "doc", ID: "a"}, {Type: "documents", ID: "a"}}
	grantees := []model.Subject{model.User("alice"), model.User("al"), model.User("bob"),
		model.Department("eng"), model.Role("editor"), model.Role("alice")}
	var inputs []model.GrantInput
	for _, en := range entities {
		for _, gr := range grantees {
			inputs = append(inputs, model.GrantInput{Entity: en, Grantee: gr})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(inputs), func(i, j int) { inputs[i], inputs[j] = inputs[j], inputs[i] })
	var all []model.Grant
	for i, in := range inputs {
		in.Level = model.Level(i%3 + 1)
		all = append(all, mustCreate(t, e, testOrg, in))
	}
	// Noise in another organisation, at the same keys.
	for _, in := range inputs[:10] {
		in.Level = model.LevelAdmin
		mustCreate(t, e, otherOrg, in)
	}
	slices.SortFunc(all, keyOrder)

	expect := func(keep func(g model.Grant) bool) []model.Grant {
		var out []model.Grant
		for _, g := range all {
			if keep(g) {
				out = append(out, g)
			}
		}
		return out
	}
	cases := []struct {
		name string
		q    model.GrantQuery
		keep func(g model.Grant) bool
	}{
		{"everything", model.GrantQuery{}, func(model.Grant) bool { return true }},
		{"one entity", model.GrantQuery{Entity: doc("a")}, func(g model.Grant) bool { return g.Entity == doc("a") }},
		{"one entity whose id prefixes others", model.GrantQuery{Entity: doc("b")}, func(g model.Grant) bool { return g.Entity == doc("b") }},
		{"entity type", model.GrantQuery{Entity: model.EntityRef{Type: "document"}}, func(g model.Grant) bool { return g.Entity.Type == "document" }},
		{"entity type that prefixes others", model.GrantQuery{Entity: model.EntityRef{Type: "doc"}}, func(g model.Grant) bool { return g.Entity.Type == "doc" }},
		{"unknown entity", model.GrantQuery{Entity: doc("nope")}, func(model.Grant) bool { return false }},
		{"grantee", model.GrantQuery{Grantee: model.User("alice")}, func(g model.Grant) bool { return g.Grantee == model.User("alice") }},
		{"grantee whose id prefixes others", model.GrantQuery{Grantee: model.User("al")}, func(g model.Grant) bool { return g.Grantee == model.User("al") }},
		{"group grantee", model.GrantQuery{Grantee: model.Role("alice")}, func(g model.Grant) bool { return g.Grantee == model.Role("alice") }},
		{"grantee and entity type", model.GrantQuery{Grantee: model.User("bob"), Entity: model.EntityRef{Type: "folder"}},
			func(g model.Grant) bool { return g.Grantee == model.User("bob") && g.Entity.Type == "folder" }},
		{"grantee and entity", model.GrantQuery{Grantee: model.Department("eng"), Entity: folder("z")},
			func(g model.Grant) bool { return g.Grantee == model.Department("eng") && g.Entity == folder("z") }},
		{"grantee and entity, no grant", model.GrantQuery{Grantee: model.Department("ops"), Entity: folder("z")},
			func(model.Grant) bool { return false }},
		{"min level none", model.GrantQuery{MinLevel: model.LevelNone}, func(model.Grant) bool { return true }},
		{"min level write", model.GrantQuery{MinLevel: model.LevelWrite}, func(g model.Grant) bool { return g.Level >= model.LevelWrite }},
		{"min level admin on an entity type", model.GrantQuery{MinLevel: model.LevelAdmin, Entity: model.EntityRef{Type: "document"}},
			func(g model.Grant) bool { return g.Level == model.LevelAdmin && g.Entity.Type == "document" }},
		{"min level write for a grantee", model.GrantQuery{MinLevel: model.LevelWrite, Grantee: model.User("alice")},
			func(g model.Grant) bool { return g.Level >= model.LevelWrite && g.Grantee == model.User("alice") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := expect(tc.keep)
			for _, limit := range []int{0, 1, 3, 1000} {
				q := tc.q
				q.Limit = limit
				got := listAll(t, e, testOrg, q)
				assert.Equal(t, grantIDs(want), grantIDs(got), "limit %d", limit)
				if len(want) > 0 {
					assert.Equal(t, want, got)
				}
			}
		})
	}
}

func TestListGrantsPageSizes(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	const n = model.MaxPageSize + 150
	for i := range n {
		mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%05d", i), "alice"))
	}
	cases := []struct {
		limit     int
		wantSizes []int
	}{
		{0, []int{model.DefaultPageSize}},
		{1, []int{1}},
		{model.MaxPageSize, []int{model.MaxPageSize, n - model.MaxPageSize}},
		{model.MaxPageSize + 1, []int{model.MaxPageSize, n - model.MaxPageSize}},
		{1 << 40, []int{model.MaxPageSize, n - model.MaxPageSize}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint("limit ", tc.limit), func(t *testing.T) {
			q := model.GrantQuery{Limit: tc.limit}
			for i, want := range tc.wantSizes {
				page, err := e.ListGrants(ctx, testOrg, q)
				require.NoError(t, err)
				assert.Len(t, page.Grants, want, "page %d", i)
				q.Cursor = page.NextCursor
			}
		})
	}
	t.Run("default size pages", func(t *testing.T) {
		q := model.GrantQuery{}
		var sizes []int
		for {
			page, err := e.ListGrants(ctx, testOrg, q)
			require.NoError(t, err)
			sizes = append(sizes, len(page.Grants))
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		want := []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50}
		assert.Equal(t, want, sizes)
	})

	_, err := e.ListGrants(ctx, testOrg, model.GrantQuery{Limit: -1})
	requireModelError(t, err, model.ErrValidation, model.FieldLimit)
}

// Every page but the last is full, and NextCursor is empty exactly when
// nothing follows, whatever the matching grants' count and whatever follows
// them in key order that does not match.
func TestListGrantsCursorEndsExactly(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		matching, limit int
	}{
		{0, 3}, {1, 3}, {2, 3}, {3, 3}, {4, 3}, {6, 3}, {7, 3}, {9, 3}, {5, 1}, {5, 5}, {5, 6},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d grants, limit %d", tc.matching, tc.limit), func(t *testing.T) {
			e, clock := newTestEngine(t)
			for i := range tc.matching {
				in := grantInput(fmt.Sprintf("d%02d", i), "alice")
				in.Level = model.LevelWrite
				mustCreate(t, e, testOrg, in)
				// Between and after the matching ones: one too low a level,
				// one about to end.
				low := grantInput(fmt.Sprintf("d%02d", i), "bob")
				mustCreate(t, e, testOrg, low)
				ending := grantInput(fmt.Sprintf("d%02d", i), "carol")
				ending.Level, ending.EffectiveTo = model.LevelAdmin, t0.Add(time.Second)
				mustCreate(t, e, testOrg, ending)
			}
			mustCreate(t, e, testOrg, grantInput("e99", "zed")) // last in key order, too low
			clock.Advance(time.Second)

			q := model.GrantQuery{MinLevel: model.LevelWrite, Limit: tc.limit}
			seen := 0
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100)
				page, err := e.ListGrants(ctx, testOrg, q)
				require.NoError(t, err)
				seen += len(page.Grants)
				for _, g := range page.Grants {
					assert.Equal(t, model.User("alice"), g.Grantee)
				}
				if page.NextCursor == "" {
					assert.Equal(t, tc.matching, seen, "the last page is not the end")
					break
				}
				assert.Len(t, page.Grants, tc.limit, "a page before the last is not full")
				assert.Less(t, seen, tc.matching, "a cursor after the last grant")
				q.Cursor = page.NextCursor
			}
		})
	}
}

func TestListGrantsHidesEndedGrants(t *testing.T) {
	e, clock := newTestEngine(t)
	in := grantInput("d1", "alice")
	in.EffectiveTo = t0.Add(time.Hour)
	ending := mustCreate(t, e, testOrg, in)
	lasting := mustCreate(t, e, testOrg, grantInput("d1", "bob"))

	assert.Equal(t, []model.Grant{ending, lasting}, listAll(t, e, testOrg, model.GrantQuery{}))
	clock.Advance(time.Hour - time.Nanosecond)
	assert.Equal(t, []model.Grant{ending, lasting}, listAll(t, e, testOrg, model.GrantQuery{}))
	clock.Advance(time.Nanosecond)
	assert.Equal(t, []model.Grant{lasting}, listAll(t, e, testOrg, model.GrantQuery{}))
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{Grantee: model.User("alice")}))
}

func TestListGrantsBadQuery(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	for i := range 5 {
		mustCreate(t, e, testOrg, grantInput(fmt.Sprint("d", i), "alice"))
		mustCreate(t, e, testOrg, model.GrantInput{Entity: folder(fmt.Sprint("f", i)), Grantee: model.User("alice"), Level: model.LevelRead})
	}
	mustCreate(t, e, otherOrg, grantInput("d1", "alice"))
	mustCreate(t, e, otherOrg, grantInput("d2", "alice"))

	cursorOf := func(org string, q model.GrantQuery) string {
		q.Limit = 1
		page, err := e.ListGrants(ctx, org, q)
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)
		return page.NextCursor
	}
	docs := model.GrantQuery{Entity: model.EntityRef{Type: "document"}}
	folders := model.GrantQuery{Entity: model.EntityRef{Type: "folder"}}
	alice := model.GrantQuery{Grantee: model.User("alice")}

	cases := []struct {
		name  string
		org   string
		q     model.GrantQuery
		field string
	}{
		{"empty org", "", model.GrantQuery{}, model.FieldOrg},
		{"negative limit", testOrg, model.GrantQuery{Limit: -5}, model.FieldLimit},
		{"min level out of range", testOrg, model.GrantQuery{MinLevel: 4}, model.FieldAccessLevel},
		{"bad entity type", testOrg, model.GrantQuery{Entity: model.EntityRef{Type: "Doc"}}, model.FieldEntityType},
		{"entity id without type", testOrg, model.GrantQuery{Entity: model.EntityRef{ID: "d1"}}, model.FieldEntityType},
		{"bad entity id", testOrg, model.GrantQuery{Entity: model.EntityRef{Type: "document", ID: "\xff"}}, model.FieldEntityID},
		{"bad grantee type", testOrg, model.GrantQuery{Grantee: model.Subject{Type: "team", ID: "a"}}, model.FieldGranteeType},
		{"bad grantee id", testOrg, model.GrantQuery{Grantee: model.Subject{Type: model.SubjectUser, ID: "a\nb"}}, model.FieldGranteeID},
		{"cursor not base64", testOrg, model.GrantQuery{Cursor: "!!not a cursor!!"}, model.FieldCursor},
		{"cursor of random bytes", testOrg, model.GrantQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("zzz"))}, model.FieldCursor},
		{"cursor of NUL bytes", testOrg, model.GrantQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0})}, model.FieldCursor},
		{"cursor of another entity type", testOrg, withCursor(folders, cursorOf(testOrg, docs)), model.FieldCursor},
		{"cursor of another entity", testOrg, withCursor(model.GrantQuery{Entity: doc("d3")}, cursorOf(testOrg, docs)), model.FieldCursor},
		{"cursor of another organisation", testOrg, withCursor(model.GrantQuery{}, cursorOf(otherOrg, model.GrantQuery{})), model.FieldCursor},
		{"cursor of a grantee query on an unfiltered one", testOrg, withCursor(model.GrantQuery{}, cursorOf(testOrg, alice)), model.FieldCursor},
		{"cursor of an unfiltered query on a grantee one", testOrg, withCursor(alice, cursorOf(testOrg, model.GrantQuery{})), model.FieldCursor},
		{"cursor of another grantee", testOrg, withCursor(model.GrantQuery{Grantee: model.User("bob")}, cursorOf(testOrg, alice)), model.FieldCursor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page, err := e.ListGrants(ctx, tc.org, tc.q)
			requireModelError(t, err, model.ErrValidation, tc.field)
			assert.Empty(t, page.Grants)
		})
	}
}

func withCursor(q model.GrantQuery, c string) model.GrantQuery {
	q.Cursor = c
	return q
}

// A cursor names a position, not an offset: grants created or revoked behind
// it do not shift the next page.
func TestListGrantsCursorAcrossWrites(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	var want []model.Grant
	for i := range 6 {
		want = append(want, mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%02d", i*2), "alice")))
	}
	page, err := e.ListGrants(ctx, testOrg, model.GrantQuery{Limit: 3})
	require.NoError(t, err)
	require.Equal(t, want[:3], page.Grants)

	// Behind the cursor: revoke one, create one. Ahead: create one, revoke one.
	require.NoError(t, e.RevokeGrant(ctx, testOrg, want[0].ID))
	mustCreate(t, e, testOrg, grantInput("d01", "alice"))
	ahead := mustCreate(t, e, testOrg, grantInput("d07", "alice"))
	require.NoError(t, e.RevokeGrant(ctx, testOrg, want[5].ID))
	// Revoking the very grant the cursor names does not lose the place.
	require.NoError(t, e.RevokeGrant(ctx, testOrg, want[2].ID))

	rest := listAll(t, e, testOrg, model.GrantQuery{Limit: 3, Cursor: page.NextCursor})
	assert.Equal(t, []model.Grant{want[3], ahead, want[4]}, rest)
}

// Paging while another goroutine writes: a grant that exists throughout is
// returned exactly once, nothing is returned twice, and pages stay in key
// order. Run under -race.
func TestListGrantsPagingUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	const stable = 300
	stableIDs := map[string]bool{}
	for i := range stable {
		g := mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%04d", i*2), "alice"))
		stableIDs[g.ID] = true
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes int
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		var live []model.Grant
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Churn between, before and after the stable grants, and in
			// another organisation.
			if len(live) > 20 || len(live) > 0 && rng.IntN(2) == 0 {
				i := rng.IntN(len(live))
				if err := e.RevokeGrant(ctx, live[i].Org, live[i].ID); err != nil {
					t.Errorf("revoke: %v", err)
					return
				}
				live = slices.Delete(live, i, i+1)
			} else {
				org := testOrg
				if rng.IntN(4) == 0 {
					org = otherOrg
				}
				in := grantInput(fmt.Sprintf("d%04d", rng.IntN(2*stable+2)-1), fmt.Sprint("churn", rng.IntN(3)))
				g, err := e.CreateGrant(ctx, org, in)
				if err == nil {
					live = append(live, g)
				} else if !assert.ErrorIs(t, err, model.ErrDuplicate) {
					return
				}
			}
			writes++
		}
	}()

	for walk := range 5 {
		q := model.GrantQuery{Limit: 7 + walk}
		seen := map[string]bool{}
		var prev model.Grant
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10000)
			page, err := e.ListGrants(ctx, testOrg, q)
			require.NoError(t, err)
			for _, g := range page.Grants {
				assert.Equal(t, testOrg, g.Org)
				assert.False(t, seen[g.ID], "walk %d: %s returned twice", walk, g.ID)
				seen[g.ID] = true
				if prev.ID != "" {
					assert.Negative(t, keyOrder(prev, g), "walk %d: out of key order", walk)
				}
				prev = g
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
			time.Sleep(50 * time.Microsecond) // let the writer in between pages
		}
		for id := range stableIDs {
			assert.True(t, seen[id], "walk %d: stable grant %s lost", walk, id)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d concurrent writes", writes)
}
