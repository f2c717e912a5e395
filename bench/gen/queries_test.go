package gen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

func TestQueriesMixHotAndColdAllowedAndDenied(t *testing.T) {
	o := gen.Generate(1, gen.Small)
	qs := o.Queries(5000)
	require.Len(t, qs, 5000)
	assert.Equal(t, qs[:1000], o.Queries(1000), "a shorter list is a prefix of a longer one")
	assert.Empty(t, o.Queries(0))

	var allowed, hot, deny, decides, inherited int
	users := map[string]int{}
	for _, q := range qs {
		require.NotEmpty(t, q.User)
		require.True(t, q.Level >= model.LevelRead && q.Level <= model.LevelAdmin)
		assert.Equal(t, o.Level(q.User, q.Entity) >= q.Level, q.Allowed, "%+v", q)
		if q.Allowed {
			allowed++
		}
		if q.Hot {
			hot++
		}
		if q.Deny {
			deny++
		}
		if q.DenyDecides {
			require.True(t, q.Deny, "%+v", q)
			require.False(t, q.Allowed, "%+v", q)
			decides++
		}
		if q.Inherited {
			inherited++
		}
		users[q.User]++
	}
	n := float64(len(qs))
	assert.InDelta(t, 0.55, float64(allowed)/n, 0.2, "allowed and denied both common")
	assert.InDelta(t, 0.8, float64(hot)/n, 0.05)
	assert.Greater(t, float64(deny), 0.01*n, "some queries meet a deny")
	assert.Greater(t, float64(decides), 0.01*n, "some are decided by one")
	assert.Greater(t, float64(inherited), 0.05*n, "some inherit a folder's grant")
	top := 0
	for _, c := range users {
		top = max(top, c)
	}
	assert.Greater(t, top, 20*len(qs)/len(o.Users), "the hottest user asks far more than an average one")
}

func TestReachAndAudienceMatchTheOracle(t *testing.T) {
	o := gen.New(gen.Config{Seed: 2, Users: 200, Entities: 300})
	everything := append(append([]model.EntityRef(nil), o.Entities...), o.Folders...)
	for _, u := range o.Users[:20] {
		want := 0
		for _, e := range everything {
			if o.Level(u, e) >= model.LevelRead {
				want++
			}
		}
		assert.Equal(t, want, o.Reach(u), u)
	}
	for _, e := range append(o.Entities[:20:20], o.Folders[:10]...) {
		want := 0
		for _, u := range o.Users {
			if o.Level(u, e) >= model.LevelRead {
				want++
			}
		}
		assert.Equal(t, want, o.Audience(e), e)
	}
	assert.Zero(t, o.Reach("nobody"))
	assert.Zero(t, o.Audience(model.EntityRef{Type: "fleet", ID: "none"}))
	assert.Equal(t, model.LevelNone, o.Level("nobody", o.Entities[0]))
}

func TestPickers(t *testing.T) {
	o := gen.Generate(1, gen.Small)
	for _, n := range []int{20, 50, 150} {
		user, reach := o.UserWithReach(n)
		assert.Equal(t, o.Reach(user), reach)
		assert.InDelta(t, n, reach, 0.1*float64(n), "a user who reaches about %d entities", n)
	}
	for _, n := range []int{30, 100, 300} {
		entity, audience := o.EntityWithAudience(n)
		assert.Equal(t, o.Audience(entity), audience)
		assert.InDelta(t, n, audience, 0.1*float64(n), "an entity about %d users reach", n)
	}
}

// TestLarge checks the preset the resolve benchmarks use: its size, and
// that the user and the entity they need exist.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1M grants; skipped with -short")
	}
	o := gen.Generate(1, gen.Large)
	assert.Len(t, o.Users, 100_000)
	assert.InDelta(t, 1_000_000, len(o.Grants), 50_000)
	userMemberships := 0
	for _, m := range o.Memberships {
		if m.Member.Type == model.SubjectUser {
			userMemberships++
		}
	}
	assert.InDelta(t, 6, float64(userMemberships)/float64(len(o.Users)), 1)
	_, reach := o.UserWithReach(50)
	assert.InDelta(t, 50, reach, 5)
	_, audience := o.EntityWithAudience(1000)
	assert.InDelta(t, 1000, audience, 100)
}

func TestAnswerAgreesWithQueries(t *testing.T) {
	o := gen.Generate(1, gen.Small)
	var decidedAllowed, decidedDenied int
	for _, q := range o.Queries(5000) {
		want := q
		want.Hot = false
		require.Equal(t, want, o.Answer(q.User, q.Entity, q.Level))
		if q.InheritedDecides {
			require.True(t, q.Inherited, "%+v", q)
			if q.Allowed {
				decidedAllowed++
			} else {
				decidedDenied++
			}
		}
	}
	assert.Positive(t, decidedAllowed, "a folder's allow gives access the entity's own grants do not")
	assert.Positive(t, decidedDenied, "a folder's deny takes away what the entity's own grants give")

	assert.Equal(t, gen.Query{User: "nobody", Entity: o.Entities[0], Level: model.LevelRead},
		o.Answer("nobody", o.Entities[0], model.LevelRead))
	unknown := model.EntityRef{Type: "fleet", ID: "none"}
	assert.False(t, o.Answer(o.Users[0], unknown, model.LevelRead).Allowed)
}
