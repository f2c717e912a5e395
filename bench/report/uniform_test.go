package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

func TestUniformQueriesAreAnsweredByTheOracle(t *testing.T) {
	o := gen.New(gen.Config{Seed: 5, Users: 300, Entities: 400, Roles: 12})
	qs := uniformQueries(o, 5, 3000)
	require.Len(t, qs, 3000)
	inherited := 0

	users, entities := map[string]bool{}, map[model.EntityRef]bool{}
	levels := map[model.Level]int{}
	allowed := 0
	for _, q := range qs {
		assert.Equal(t, o.Level(q.User, q.Entity) >= q.Level, q.Allowed, "%+v", q)
		assert.Equal(t, o.Answer(q.User, q.Entity, q.Level), q)
		if q.Inherited {
			inherited++
		}
		assert.False(t, q.Hot)
		users[q.User], entities[q.Entity] = true, true
		levels[q.Level]++
		if q.Allowed {
			allowed++
		}
	}
	// 3000 uniform draws from 300 users and 400 entities miss almost none.
	assert.Greater(t, len(users), 280)
	assert.Greater(t, len(entities), 360)
	assert.Greater(t, levels[model.LevelRead], levels[model.LevelWrite])
	assert.Greater(t, levels[model.LevelWrite], levels[model.LevelAdmin])
	assert.Positive(t, levels[model.LevelAdmin])
	// Both answers occur, and allowed ones less often than in the
	// generator's mix, which aims most queries at what a user was granted.
	hotAllowed := 0
	for _, q := range o.Queries(len(qs)) {
		if q.Allowed {
			hotAllowed++
		}
	}
	assert.Positive(t, allowed)
	assert.Less(t, allowed, hotAllowed)
	assert.Positive(t, inherited, "folders' grants reach some uniform queries too")
}

func TestUniformQueriesAreDeterministicPrefixes(t *testing.T) {
	o := gen.New(gen.Config{Seed: 6, Users: 100, Entities: 100})
	long := uniformQueries(o, 6, 500)
	assert.Equal(t, long[:200], uniformQueries(o, 6, 200))
	assert.Equal(t, long, uniformQueries(o, 6, 500))
	assert.NotEqual(t, long, uniformQueries(o, 7, 500))
	assert.Empty(t, uniformQueries(o, 6, 0))
}

func TestDecidedQueriesAlternateDenyAndInheritance(t *testing.T) {
	o := gen.New(gen.Config{Seed: 5, Users: 300, Entities: 400, Roles: 12})
	hot, uniform := o.Queries(3000), uniformQueries(o, 5, 3000)
	qs := decidedQueries(hot, uniform)
	want := 0
	for _, q := range append(append([]gen.Query(nil), hot...), uniform...) {
		if q.DenyDecides || q.InheritedDecides {
			want++
		}
	}
	require.Len(t, qs, want)
	require.Greater(t, len(qs), 20)
	for i, q := range qs[:20] {
		if i%2 == 0 {
			assert.True(t, q.DenyDecides, "%d: %+v", i, q)
		} else {
			assert.True(t, q.InheritedDecides && !q.DenyDecides, "%d: %+v", i, q)
		}
	}
	assert.Empty(t, decidedQueries(nil, nil))
}
