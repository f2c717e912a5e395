package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/engine"
)

// BenchmarkLinkEntitiesBulk links every entity link of a generated
// organisation in one LinkEntities call, as bench/report loads it: into a
// new engine holding the organisation's memberships and no grants yet. It
// reports the wall and CPU time per link (the CPU time counts the other
// core's share of the call, such as the collector's, and none of other
// processes').
//
//	go test -run '^$' -bench 'LinkEntitiesBulk/medium' -benchtime 1x -count 3 ./engine/
func BenchmarkLinkEntitiesBulk(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.String(), func(b *testing.B) {
			if size == gen.Large && testing.Short() {
				b.Skip("the large organisation is too big for -short")
			}
			o := gen.Generate(1, size)
			require.NotEmpty(b, o.Links)
			ctx := context.Background()
			var cpu time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				e, err := engine.Open(engine.WithSweepInterval(0))
				require.NoError(b, err)
				require.NoError(b, e.AddMembers(ctx, o.ID, o.Memberships...))
				start := cpuTime()
				b.StartTimer()
				require.NoError(b, e.LinkEntities(ctx, o.ID, o.Links...))
				b.StopTimer()
				cpu += cpuTime() - start
				require.NoError(b, e.Close())
				b.StartTimer()
			}
			links := float64(b.N * len(o.Links))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/links, "ns/link")
			b.ReportMetric(float64(cpu.Nanoseconds())/links, "cpu-ns/link")
			b.ReportMetric(float64(len(o.Links)), "links")
		})
	}
}
