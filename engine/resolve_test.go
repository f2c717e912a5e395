package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// grantOn is a grant input of level on a document to grantee.
func grantOn(entity string, grantee model.Subject, level model.Level) model.GrantInput {
	return model.GrantInput{Entity: doc(entity), Grantee: grantee, Level: level, GrantedBy: "usr_admin"}
}

// nestedDepartments returns memberships making dept d<i+1> a member of d<i>,
// for i below n-1: d0 is the outermost.
func nestedDepartments(n int) []model.Membership {
	var ms []model.Membership
	for i := 0; i+1 < n; i++ {
		ms = append(ms, membership(model.Department(fmt.Sprintf("d%d", i+1)), model.Department(fmt.Sprintf("d%d", i))))
	}
	return ms
}

// requireLevel asserts user's effective level on entity, through Resolve and
// through Check at every level.
func requireLevel(t *testing.T, e *engine.Engine, org, user string, entity model.EntityRef, want model.Level) {
	t.Helper()
	ctx := context.Background()
	d, err := e.Resolve(ctx, org, user, entity)
	require.NoError(t, err)
	assert.Equal(t, want, d.Level, "Resolve(%s, %s)", user, entity)
	assert.Equal(t, entity, d.Entity)
	if want == model.LevelNone {
		assert.Empty(t, d.Via)
	} else {
		assert.NotEmpty(t, d.Via)
	}
	for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
		ok, err := e.Check(ctx, org, user, entity, l)
		require.NoError(t, err)
		assert.Equal(t, want >= l, ok, "Check(%s, %s, %s)", user, entity, l)
	}
}

func TestResolveRules(t *testing.T) {
	type expect struct {
		user   string
		entity string
		level  model.Level
	}
	cases := []struct {
		name    string
		members []model.Membership
		grants  []model.GrantInput
		// change runs after the setup, before the expectations.
		change func(t *testing.T, e *engine.Engine, grants []model.Grant)
		want   []expect
	}{{
		name:   "direct user grant",
		grants: []model.GrantInput{grantOn("doc1", model.User("alice"), model.LevelWrite)},
		want:   []expect{{"alice", "doc1", model.LevelWrite}, {"alice", "doc2", model.LevelNone}, {"bob", "doc1", model.LevelNone}},
	}, {
		name:    "department grant reaches members",
		members: []model.Membership{membership(model.User("alice"), model.Department("eng"))},
		grants:  []model.GrantInput{grantOn("doc1", model.Department("eng"), model.LevelRead)},
		want:    []expect{{"alice", "doc1", model.LevelRead}, {"bob", "doc1", model.LevelNone}},
	}, {
		name: "ten nested departments, granted at the top",
		members: append(nestedDepartments(10),
			membership(model.User("deep"), model.Department("d9")),
			membership(model.User("top"), model.Department("d0"))),
		grants: []model.GrantInput{
			grantOn("doc1", model.Department("d0"), model.LevelAdmin),
			grantOn("doc2", model.Department("d9"), model.LevelWrite),
		},
		want: []expect{
			{"deep", "doc1", model.LevelAdmin}, {"deep", "doc2", model.LevelWrite},
			{"top", "doc1", model.LevelAdmin}, {"top", "doc2", model.LevelNone}, // grants flow down, not up
		},
	}, {
		name: "role diamond",
		members: []model.Membership{
			membership(model.Role("b"), model.Role("a")), membership(model.Role("c"), model.Role("a")),
			membership(model.Role("d"), model.Role("b")), membership(model.Role("d"), model.Role("c")),
			membership(model.User("holder"), model.Role("d")), membership(model.User("onlyc"), model.Role("c")),
		},
		grants: []model.GrantInput{
			grantOn("doc1", model.Role("a"), model.LevelRead),
			grantOn("doc1", model.Role("b"), model.LevelWrite),
		},
		want: []expect{{"holder", "doc1", model.LevelWrite}, {"onlyc", "doc1", model.LevelRead}},
	}, {
		name: "user in many groups takes the highest level",
		members: func() []model.Membership {
			var ms []model.Membership
			for i := range 20 {
				ms = append(ms, membership(model.User("busy"), model.Department(fmt.Sprintf("g%02d", i))))
			}
			return ms
		}(),
		grants: []model.GrantInput{
			grantOn("doc1", model.Department("g03"), model.LevelRead),
			grantOn("doc1", model.Department("g17"), model.LevelAdmin),
			grantOn("doc1", model.Department("g09"), model.LevelWrite),
			grantOn("doc2", model.Department("g19"), model.LevelRead),
		},
		want: []expect{{"busy", "doc1", model.LevelAdmin}, {"busy", "doc2", model.LevelRead}},
	}, {
		name: "removed memberships take access away",
		members: []model.Membership{
			membership(model.User("alice"), model.Department("eng")),
			membership(model.Department("eng"), model.Department("rnd")),
			membership(model.User("bob"), model.Department("eng")),
		},
		grants: []model.GrantInput{grantOn("doc1", model.Department("rnd"), model.LevelWrite)},
		change: func(t *testing.T, e *engine.Engine, _ []model.Grant) {
			require.NoError(t, e.RemoveMembers(context.Background(), testOrg,
				membership(model.Department("eng"), model.Department("rnd")),
				membership(model.User("bob"), model.Department("eng"))))
			require.NoError(t, e.AddMembers(context.Background(), testOrg, membership(model.User("bob"), model.Department("rnd"))))
		},
		want: []expect{{"alice", "doc1", model.LevelNone}, {"bob", "doc1", model.LevelWrite}},
	}, {
		name:    "updated grant gives its new level",
		members: []model.Membership{membership(model.User("alice"), model.Role("r"))},
		grants:  []model.GrantInput{grantOn("doc1", model.Role("r"), model.LevelRead)},
		change: func(t *testing.T, e *engine.Engine, gs []model.Grant) {
			_, err := e.UpdateGrant(context.Background(), testOrg, gs[0].ID, model.LevelAdmin)
			require.NoError(t, err)
		},
		want: []expect{{"alice", "doc1", model.LevelAdmin}},
	}, {
		name:    "revoked grant gives nothing",
		members: []model.Membership{membership(model.User("alice"), model.Role("r"))},
		grants: []model.GrantInput{
			grantOn("doc1", model.Role("r"), model.LevelAdmin),
			grantOn("doc1", model.User("alice"), model.LevelRead),
		},
		change: func(t *testing.T, e *engine.Engine, gs []model.Grant) {
			require.NoError(t, e.RevokeGrant(context.Background(), testOrg, gs[0].ID))
		},
		want: []expect{{"alice", "doc1", model.LevelRead}},
	}, {
		name:    "unknown user has no access",
		members: []model.Membership{membership(model.User("alice"), model.Role("r"))},
		grants:  []model.GrantInput{grantOn("doc1", model.Role("r"), model.LevelAdmin)},
		want:    []expect{{"nobody", "doc1", model.LevelNone}, {"alice", "unknown_doc", model.LevelNone}},
	}, {
		name:    "organisations are isolated",
		members: []model.Membership{membership(model.User("alice"), model.Role("r"))},
		grants:  []model.GrantInput{grantOn("doc1", model.Role("r"), model.LevelAdmin)},
		change: func(t *testing.T, e *engine.Engine, _ []model.Grant) {
			ctx := context.Background()
			require.NoError(t, e.AddMembers(ctx, otherOrg, membership(model.User("bob"), model.Role("r"))))
			mustCreate(t, e, otherOrg, grantOn("doc2", model.Role("r"), model.LevelWrite))
		},
		want: []expect{
			{"alice", "doc1", model.LevelAdmin}, {"bob", "doc1", model.LevelNone},
			{"alice", "doc2", model.LevelNone}, {"bob", "doc2", model.LevelNone},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			ctx := context.Background()
			if len(tc.members) > 0 {
				require.NoError(t, e.AddMembers(ctx, testOrg, tc.members...))
			}
			var gs []model.Grant
			for _, in := range tc.grants {
				gs = append(gs, mustCreate(t, e, testOrg, in))
			}
			if tc.change != nil {
				tc.change(t, e, gs)
			}
			for _, w := range tc.want {
				requireLevel(t, e, testOrg, w.user, doc(w.entity), w.level)
			}
		})
	}
}

func TestResolveWindowBounds(t *testing.T) {
	e, clock := newTestEngine(t)
	from, to := t0.Add(time.Hour), t0.Add(2*time.Hour)
	in := grantOn("doc1", model.User("alice"), model.LevelWrite)
	in.EffectiveFrom, in.EffectiveTo = from, to
	mustCreate(t, e, testOrg, in)
	cases := []struct {
		at   time.Time
		want model.Level
	}{
		{t0, model.LevelNone},
		{from.Add(-time.Nanosecond), model.LevelNone},
		{from, model.LevelWrite},
		{to.Add(-time.Nanosecond), model.LevelWrite},
		{to, model.LevelNone}, // the window is [from, to)
		{to.Add(time.Hour), model.LevelNone},
	}
	for _, tc := range cases {
		t.Run(tc.at.Sub(t0).String(), func(t *testing.T) {
			clock.Set(tc.at)
			requireLevel(t, e, testOrg, "alice", doc("doc1"), tc.want)
		})
	}
}

func TestResolveExpiredGrantBehavesAsRevoked(t *testing.T) {
	e, clock := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(model.User("alice"), model.Department("eng"))))
	in := grantOn("doc1", model.Department("eng"), model.LevelAdmin)
	in.EffectiveTo = t0.Add(time.Minute)
	mustCreate(t, e, testOrg, in)
	requireLevel(t, e, testOrg, "alice", doc("doc1"), model.LevelAdmin)

	clock.Advance(time.Minute)
	requireLevel(t, e, testOrg, "alice", doc("doc1"), model.LevelNone)
	got, err := e.ResolvedAccess(ctx, testOrg, "alice", resolve.Query{})
	require.NoError(t, err)
	assert.Empty(t, got)
	users, err := e.UsersWithAccess(ctx, testOrg, doc("doc1"), model.LevelRead)
	require.NoError(t, err)
	assert.Empty(t, users)
}

// chainOf writes a chain as "type:id > type:id > ...".
func chainOf(p resolve.Path) string {
	s := ""
	for i, c := range p.Chain {
		if i > 0 {
			s += " > "
		}
		s += c.String()
	}
	return s
}

func TestResolveExplains(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg,
		// Two equally short chains to role a: through b and through c; b wins by byte order.
		membership(model.Role("c"), model.Role("a")), membership(model.Role("b"), model.Role("a")),
		membership(model.Role("d"), model.Role("c")), membership(model.Role("d"), model.Role("b")),
		membership(model.User("carol"), model.Role("d")),
		// carol's own grant and a department's grant at the same level are listed too.
		membership(model.User("carol"), model.Department("eng")),
	))
	gA := mustCreate(t, e, testOrg, grantOn("doc1", model.Role("a"), model.LevelWrite))
	gUser := mustCreate(t, e, testOrg, grantOn("doc1", model.User("carol"), model.LevelWrite))
	mustCreate(t, e, testOrg, grantOn("doc1", model.Role("c"), model.LevelRead)) // below the level: not in Via
	gDept := mustCreate(t, e, testOrg, grantOn("doc1", model.Department("eng"), model.LevelWrite))

	d, err := e.Resolve(ctx, testOrg, "carol", doc("doc1"))
	require.NoError(t, err)
	assert.Equal(t, model.LevelWrite, d.Level)
	require.Len(t, d.Via, 3)
	// Sorted by grant id, which is creation order here.
	assert.Equal(t, []string{gA.ID, gUser.ID, gDept.ID}, []string{d.Via[0].Grant.ID, d.Via[1].Grant.ID, d.Via[2].Grant.ID})
	assert.Equal(t, "user:carol > role:d > role:b > role:a", chainOf(d.Via[0]))
	assert.Equal(t, "user:carol", chainOf(d.Via[1]))
	assert.Equal(t, "user:carol > department:eng", chainOf(d.Via[2]))
	assert.Equal(t, gA, d.Via[0].Grant)

	// The returned paths are copies.
	d.Via[0].Chain[0] = model.User("mallory")
	d.Via[0].Grant.Level = model.LevelAdmin
	again, err := e.Resolve(ctx, testOrg, "carol", doc("doc1"))
	require.NoError(t, err)
	assert.Equal(t, "user:carol > role:d > role:b > role:a", chainOf(again.Via[0]))
	assert.Equal(t, model.LevelWrite, again.Via[0].Grant.Level)
}

func TestResolveShortestChainWins(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	// carol reaches role top through aa > mid > top (3 steps) and through zz > top (2 steps).
	require.NoError(t, e.AddMembers(ctx, testOrg,
		membership(model.User("carol"), model.Role("aa")), membership(model.Role("aa"), model.Role("mid")),
		membership(model.Role("mid"), model.Role("top")),
		membership(model.User("carol"), model.Role("zz")), membership(model.Role("zz"), model.Role("top")),
	))
	mustCreate(t, e, testOrg, grantOn("doc1", model.Role("top"), model.LevelRead))
	d, err := e.Resolve(ctx, testOrg, "carol", doc("doc1"))
	require.NoError(t, err)
	require.Len(t, d.Via, 1)
	assert.Equal(t, "user:carol > role:zz > role:top", chainOf(d.Via[0]))
}
