package resolve_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/resolve"
)

var heapIndex *resolve.Index

// BenchmarkIndexHeap builds the index of a generated organisation (the
// generator's defaults, folders and denies, and the flat model) from one
// change set and reports the live heap it holds beyond the change set's own
// rows ("index-bytes", and per grant), and the time to build it. Run, for
// example:
//
//	go test -run '^$' -bench 'IndexHeap/medium' -benchtime 3x ./resolve/
func BenchmarkIndexHeap(b *testing.B) {
	for _, size := range []gen.Size{gen.Medium, gen.Large} {
		for _, model := range []string{"rich", "flat"} {
			b.Run(fmt.Sprintf("%s/%s", size, model), func(b *testing.B) {
				if size == gen.Large && testing.Short() {
					b.Skip("the large organisation is too big for -short")
				}
				cfg := size.Config()
				cfg.Seed = 1
				if model == "flat" {
					cfg = cfg.Flat()
				}
				o := gen.New(cfg)
				cs := changeSet(o)
				var held uint64
				for b.Loop() {
					b.StopTimer()
					heapIndex = nil
					before := liveHeap()
					b.StartTimer()
					heapIndex = (*resolve.Index)(nil).Apply(cs)
					b.StopTimer()
					held = liveHeap() - before
					b.StartTimer()
				}
				b.ReportMetric(float64(held), "index-bytes")
				b.ReportMetric(float64(held)/float64(len(cs.Grants)), "bytes/grant")
				runtime.KeepAlive(cs)
			})
		}
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
