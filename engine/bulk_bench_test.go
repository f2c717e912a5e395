package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// bulkBenchSink keeps the benchmark's results alive, so the compiler keeps
// the calls.
var bulkBenchSink bulk.Result

// bulkOrganisation is the benchmarks' flat batch of n grant inputs
// (gen.BatchInputs): 10 per document, mostly users, in random order.
func bulkOrganisation(n int) []model.GrantInput { return gen.BatchInputs(n) }

// BenchmarkBulkCreate loads n grants in one BulkCreate into a new engine:
// SkipDuplicates and AllOrNothing into an empty organisation (every item
// created), Upsert over the same grants already stored (every item
// updated). It reports grants/s, CPU time and bytes allocated per grant and
// the live heap per stored grant after a GC (the engine alive, the result
// dropped).
//
//	go test -run '^$' -bench BulkCreate -benchtime 1x -count 3 ./engine/
func BenchmarkBulkCreate(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		items := bulkOrganisation(n)
		for _, mode := range []struct {
			name string
			mode bulk.Mode
		}{{"skip", bulk.SkipDuplicates}, {"all_or_nothing", bulk.AllOrNothing}, {"upsert", bulk.Upsert}} {
			b.Run(fmt.Sprintf("%s/%d", mode.name, n), func(b *testing.B) {
				benchBulkCreate(b, items, mode.mode)
			})
		}
	}
}

func benchBulkCreate(b *testing.B, items []model.GrantInput, mode bulk.Mode) {
	ctx := context.Background()
	var elapsed, cpu time.Duration
	var allocated, live uint64
	for b.Loop() {
		b.StopTimer()
		e, err := engine.Open()
		if err != nil {
			b.Fatal(err)
		}
		if mode == bulk.Upsert {
			if _, err := e.BulkCreate(ctx, "org_bench", items, bulk.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		start, startCPU := time.Now(), cpuTime()
		res, err := e.BulkCreate(ctx, "org_bench", items, bulk.Options{Mode: mode})
		elapsed += time.Since(start)
		cpu += cpuTime() - startCPU

		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Summary.Succeeded != len(items) {
			b.Fatalf("%d of %d items succeeded", res.Summary.Succeeded, len(items))
		}
		runtime.ReadMemStats(&after)
		allocated += after.TotalAlloc - before.TotalAlloc
		bulkBenchSink = res
		bulkBenchSink = bulk.Result{}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if mode != bulk.Upsert {
			live += after.HeapAlloc - before.HeapAlloc
		}
		runtime.KeepAlive(e)
		e.Close()
		b.StartTimer()
	}
	n := float64(len(items)) * float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "grants/s")
	// The process's CPU time (both cores, the collector's too) measures the
	// work on a busy machine, where elapsed time does not.
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/grant")
	b.ReportMetric(float64(allocated)/n, "B/grant")
	if mode != bulk.Upsert {
		b.ReportMetric(float64(live)/n, "heapB/grant")
	}
}
