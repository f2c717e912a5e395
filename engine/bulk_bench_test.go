package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// bulkBenchSink keeps the benchmark's results alive, so the compiler keeps
// the calls.
var bulkBenchSink bulk.Result

// bulkOrganisation makes n distinct grant inputs shaped like the design's
// benchmark organisation: 10 grants per document, to grantees drawn from
// 100k users (and a few hundred departments and roles), in random order.
func bulkOrganisation(n int) []model.GrantInput {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	items := make([]model.GrantInput, 0, n)
	for d := 0; len(items) < n; d++ {
		entity := model.EntityRef{Type: "document", ID: fmt.Sprintf("doc_%07d", d)}
		seen := map[model.Subject]bool{}
		for len(seen) < 10 && len(items) < n {
			var s model.Subject
			switch k := r.IntN(100); {
			case k < 90:
				s = model.User(fmt.Sprintf("usr_%06d", r.IntN(100_000)))
			case k < 95:
				s = model.Department(fmt.Sprintf("dep_%03d", r.IntN(300)))
			default:
				s = model.Role(fmt.Sprintf("rol_%03d", r.IntN(300)))
			}
			if seen[s] {
				continue
			}
			seen[s] = true
			items = append(items, model.GrantInput{
				Entity: entity, Grantee: s, Level: model.Level(1 + r.IntN(3)), GrantedBy: "usr_loader",
			})
		}
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}

// BenchmarkBulkCreate loads n grants in one BulkCreate into a new engine:
// SkipDuplicates and AllOrNothing into an empty organisation (every item
// created), Upsert over the same grants already stored (every item
// updated). It reports grants/s, bytes allocated per grant and the live heap
// per stored grant after a GC (the engine alive, the result dropped).
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
	var elapsed time.Duration
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

		start := time.Now()
		res, err := e.BulkCreate(ctx, "org_bench", items, bulk.Options{Mode: mode})
		elapsed += time.Since(start)

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
	b.ReportMetric(float64(allocated)/n, "B/grant")
	if mode != bulk.Upsert {
		b.ReportMetric(float64(live)/n, "heapB/grant")
	}
}
