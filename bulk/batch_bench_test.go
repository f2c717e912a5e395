package bulk_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// counterGrants makes grant ids from a counter, as cheaply as the
// engine's id generator.
func counterGrants() bulk.NewIDFunc {
	var seq uint64
	return func() string {
		seq++
		var buf [32]byte
		return string(strconv.AppendUint(append(buf[:0], "agrant_"...), seq, 36))
	}
}

// BenchmarkBulkApply is the bulk package's share of a BulkCreate into an
// empty store: validation, sorting, duplicate detection, the memdb inserts
// and the commit, without the engine's derived index. Compare it with
// engine's BenchmarkBulkCreate for the cost of the rest.
func BenchmarkBulkApply(b *testing.B) {
	v, err := model.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		items := gen.BatchInputs(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var elapsed time.Duration
			var live uint64
			for b.Loop() {
				b.StopTimer()
				st, err := store.New()
				if err != nil {
					b.Fatal(err)
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				start := time.Now()
				now := time.Now().UTC()
				batch, err := bulk.NewBatch(ctx, "org_bench", items, bulk.Options{}, v, now)
				if err != nil {
					b.Fatal(err)
				}
				tx := st.Write()
				res, err := batch.Apply(ctx, tx, now, counterGrants())
				if err != nil {
					b.Fatal(err)
				}
				tx.Commit()
				elapsed += time.Since(start)
				b.StopTimer()
				if res.Summary.Succeeded != n {
					b.Fatalf("%d of %d created", res.Summary.Succeeded, n)
				}
				res = bulk.Result{}
				runtime.GC()
				runtime.ReadMemStats(&after)
				live += after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(st)
				b.StartTimer()
			}
			total := float64(n) * float64(b.N)
			b.ReportMetric(total/elapsed.Seconds(), "grants/s")
			b.ReportMetric(float64(live)/total, "heapB/grant")
		})
	}
}
