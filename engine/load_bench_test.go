package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
)

// BenchmarkAddMembersBulk adds every membership of a generated organisation
// in one AddMembers call to a new engine, and reports the wall and CPU time
// per membership (the CPU time counts the collector's share of the call and
// none of other processes').
//
//	go test -run '^$' -bench 'AddMembersBulk' -benchtime 1x -count 3 ./engine/
func BenchmarkAddMembersBulk(b *testing.B) {
	benchLoadCall(b, "membership", nil, func(ctx context.Context, e *engine.Engine, o *gen.Org) (int, error) {
		return len(o.Memberships), e.AddMembers(ctx, o.ID, o.Memberships...)
	})
}

// BenchmarkLinkEntitiesBulk adds every entity link of a generated
// organisation in one LinkEntities call, as bench/report loads it: into a
// new engine holding the organisation's memberships and no grants yet. It
// reports the wall and CPU time per link (the CPU time counts the other
// core's share of the call, such as the collector's, and none of other
// processes').
//
//	go test -run '^$' -bench 'LinkEntitiesBulk/medium' -benchtime 1x -count 3 ./engine/
func BenchmarkLinkEntitiesBulk(b *testing.B) {
	members := func(ctx context.Context, e *engine.Engine, o *gen.Org) error {
		return e.AddMembers(ctx, o.ID, o.Memberships...)
	}
	benchLoadCall(b, "link", members, func(ctx context.Context, e *engine.Engine, o *gen.Org) (int, error) {
		if len(o.Links) == 0 {
			return 0, nil
		}
		return len(o.Links), e.LinkEntities(ctx, o.ID, o.Links...)
	})
}

// benchLoadCall times one call of a bulk load at every bench size: for each
// iteration a new in-memory engine, prepared by setup (untimed, may be
// nil), then call, which returns how many items it wrote. It reports the
// wall and CPU time per item (the unit names it) and the item count.
func benchLoadCall(b *testing.B, unit string,
	setup func(context.Context, *engine.Engine, *gen.Org) error,
	call func(context.Context, *engine.Engine, *gen.Org) (int, error)) {
	for _, size := range benchSizes {
		b.Run(size.String(), func(b *testing.B) {
			if size == gen.Large && testing.Short() {
				b.Skip("the large organisation is too big for -short")
			}
			o := gen.Generate(1, size)
			ctx := context.Background()
			var cpu time.Duration
			items := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				// The clock stands at the organisation's LoadTime, as in
				// bench/report, so that every grant's window is open.
				e, err := engine.Open(engine.WithSweepInterval(0),
					engine.WithClock(func() time.Time { return o.LoadTime }))
				require.NoError(b, err)
				if setup != nil {
					require.NoError(b, setup(ctx, e, o))
				}
				start := cpuTime()
				b.StartTimer()
				n, err := call(ctx, e, o)
				b.StopTimer()
				require.NoError(b, err)
				require.NotZero(b, n, "the %s organisation has no %ss", size, unit)
				cpu += cpuTime() - start
				items = n
				require.NoError(b, e.Close())
				b.StartTimer()
			}
			total := float64(b.N * items)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/"+unit)
			b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/"+unit)
			b.ReportMetric(float64(items), unit+"s")
		})
	}
}

// BenchmarkLoadOrg loads a generated organisation as bench/report loads
// grantdb, the sum its load-time ratio against Casbin is taken of: one
// AddMembers of every membership, one LinkEntities of every entity link and
// one BulkCreate (SkipDuplicates) of every grant, into a new engine. It
// reports the wall and CPU time per item (membership, link or grant).
//
//	go test -run '^$' -bench 'LoadOrg/medium' -benchtime 1x -count 3 ./engine/
func BenchmarkLoadOrg(b *testing.B) {
	benchLoadCall(b, "item", nil, func(ctx context.Context, e *engine.Engine, o *gen.Org) (int, error) {
		if err := e.AddMembers(ctx, o.ID, o.Memberships...); err != nil {
			return 0, err
		}
		if len(o.Links) > 0 {
			if err := e.LinkEntities(ctx, o.ID, o.Links...); err != nil {
				return 0, err
			}
		}
		res, err := e.BulkCreate(ctx, o.ID, o.Grants, bulk.Options{})
		if err != nil {
			return 0, err
		}
		if res.Summary.Succeeded != len(o.Grants) {
			return 0, fmt.Errorf("BulkCreate created %d of %d grants", res.Summary.Succeeded, len(o.Grants))
		}
		return len(o.Memberships) + len(o.Links) + len(o.Grants), nil
	})
}
