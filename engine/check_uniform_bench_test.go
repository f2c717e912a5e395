package engine_test

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// uniformScales are the organisations BenchmarkCheckUniform runs on, named by
// their grant count: users each in 3 leaf departments of a 4-level tree (so
// 3 nested chains) and holding 3 roles, 10 grants per entity.
var uniformScales = []struct {
	name string
	cfg  gen.Config
}{
	{"20k", gen.Config{Seed: 1, Users: 2_000, Entities: 2_000, DeptFanout: 5, Roles: 60}},
	{"200k", gen.Config{Seed: 1, Users: 20_000, Entities: 20_000, DeptFanout: 8, Roles: 400}},
}

// uniformFixture is one uniform scale loaded, with its queries: a user and
// an entity drawn uniformly at random, at a level drawn uniformly, and the
// generator's answer.
type uniformFixture struct {
	o       *gen.Org
	e       *engine.Engine
	queries []gen.Query
}

var uniformFixtures sync.Map // scale name -> *uniformSlot

type uniformSlot struct {
	once sync.Once
	f    *uniformFixture
	err  error
}

func loadUniform(tb testing.TB, name string, cfg gen.Config) *uniformFixture {
	tb.Helper()
	v, _ := uniformFixtures.LoadOrStore(name, &uniformSlot{})
	slot := v.(*uniformSlot)
	slot.once.Do(func() { slot.f, slot.err = buildUniform(cfg) })
	require.NoError(tb, slot.err, "loading the %s organisation", name)
	return slot.f
}

func buildUniform(cfg gen.Config) (*uniformFixture, error) {
	o := gen.New(cfg)
	e, err := loadGenOrg(o)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 15))
	levels := []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin}
	f := &uniformFixture{o: o, e: e}
	for range fixtureQueries {
		q := gen.Query{
			User:   o.Users[r.IntN(len(o.Users))],
			Entity: o.Entities[r.IntN(len(o.Entities))],
			Level:  levels[r.IntN(len(levels))],
		}
		q.Allowed = o.Level(q.User, q.Entity) >= q.Level
		f.queries = append(f.queries, q)
	}
	return f, nil
}

// BenchmarkCheckUniform asks Check about users and entities drawn uniformly
// at random, so that the caches hold little of what the next query reads
// (the generator's own query mix favours hot users). It reports the share of
// allowed answers; Check must not allocate.
//
//	go test -run '^$' -bench 'CheckUniform/200k' -benchmem -count 5 ./engine/
func BenchmarkCheckUniform(b *testing.B) {
	for _, sc := range uniformScales {
		b.Run(sc.name, func(b *testing.B) {
			f := loadUniform(b, sc.name, sc.cfg)
			allowed := 0
			for _, q := range f.queries {
				if q.Allowed {
					allowed++
				}
			}
			runtime.GC() // the load's garbage, not Check, would hold a core
			benchCheck(b, &genFixture{org: f.o, e: f.e}, f.queries)
			b.ReportMetric(float64(allowed)/float64(len(f.queries)), "allowed")
			b.ReportMetric(float64(len(f.o.Grants)), "grants")
		})
	}
}
