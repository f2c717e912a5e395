package gen_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// loadEngine loads an organisation the way the package doc says: clock at
// LoadTime, memberships, links, grants (allows and denies) in one bulk
// call, then the clock at Epoch.
func loadEngine(t *testing.T, o *gen.Org) *engine.Engine {
	t.Helper()
	var now atomic.Pointer[time.Time]
	setClock := func(t time.Time) { now.Store(&t) }
	setClock(o.LoadTime)
	e, err := engine.Open(engine.WithClock(func() time.Time { return *now.Load() }), engine.WithSweepInterval(0))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })

	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, o.ID, o.Memberships...))
	require.NoError(t, e.LinkEntities(ctx, o.ID, o.Links...))
	res, err := e.BulkCreate(ctx, o.ID, o.Grants, bulk.Options{Mode: bulk.AllOrNothing})
	require.NoError(t, err)
	require.True(t, res.Committed, "%+v", res.Summary)
	require.Equal(t, len(o.Grants), res.Summary.Succeeded)
	setClock(o.Epoch)
	return e
}

// TestEngineAgreesWithTheOracle checks that the engine answers every query
// as the generator expects, on organisations with and without folders and
// denies: Check, Resolve's level, and that a deny which decides a query is
// among those Resolve names and an inherited path shows only where the
// generator says a folder's grant applies. Medium is skipped with -short
// and under -race.
func TestEngineAgreesWithTheOracle(t *testing.T) {
	tiny := gen.Config{Seed: 9, Users: 150, Entities: 150, Roles: 12}
	for _, tc := range []struct {
		name    string
		cfg     gen.Config
		queries int
		long    bool
	}{
		{"tiny flat", tiny.Flat(), 1000, false},
		{"tiny", tiny, 1000, false},
		{"small", gen.Small.Config(), 3000, false},
		{"small flat", gen.Small.Config().Flat(), 1000, false},
		{"medium", gen.Medium.Config(), 3000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && (testing.Short() || raceEnabled) {
				t.Skip("100k grants; skipped with -short and under -race")
			}
			o := gen.New(tc.cfg)
			e := loadEngine(t, o)
			ctx := context.Background()
			var deny, decides, inherited int
			for _, q := range o.Queries(tc.queries) {
				ok, err := e.Check(ctx, o.ID, q.User, q.Entity, q.Level)
				require.NoError(t, err)
				assert.Equal(t, q.Allowed, ok, "%+v", q)

				d, err := e.Resolve(ctx, o.ID, q.User, q.Entity)
				require.NoError(t, err)
				assert.Equal(t, o.Level(q.User, q.Entity), d.Level, "%+v", q)
				if q.DenyDecides {
					assert.NotEmpty(t, d.Denied, "a deny decides %+v", q)
				}
				for _, p := range append(d.Via, d.Denied...) {
					if len(p.Entities) > 1 {
						assert.True(t, q.Inherited, "%+v comes from %v", q, p.Entities)
					}
				}
				deny, decides, inherited = deny+b2i(q.Deny), decides+b2i(q.DenyDecides), inherited+b2i(q.Inherited)
			}
			if len(o.Links) > 0 {
				assert.Positive(t, decides, "some queries are decided by a deny")
				assert.Positive(t, inherited, "some queries inherit a folder's grant")
			} else {
				assert.Zero(t, deny+inherited, "a flat organisation has neither")
			}
		})
	}
}

// TestEngineListsAgreeWithReachAndAudience checks the counts the listing
// benchmarks rely on: ResolvedAccess lists Reach entities, UsersWithAccess
// lists Audience users, denies and folders included.
func TestEngineListsAgreeWithReachAndAudience(t *testing.T) {
	o := gen.Generate(1, gen.Small)
	e := loadEngine(t, o)
	ctx := context.Background()
	for _, u := range o.Users[:40] {
		ds, err := e.ResolvedAccess(ctx, o.ID, u, resolve.Query{MinLevel: model.LevelRead})
		require.NoError(t, err)
		assert.Len(t, ds, o.Reach(u), u)
	}
	for _, ent := range append(o.Entities[:40:40], o.Folders[:20]...) {
		us, err := e.UsersWithAccess(ctx, o.ID, ent, model.LevelRead)
		require.NoError(t, err)
		assert.Len(t, us, o.Audience(ent), "%v", ent)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
