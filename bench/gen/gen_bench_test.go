package gen_test

import (
	"testing"

	"github.com/grantdb/grantdb/bench/gen"
)

// sink keeps the generated organisation alive so the compiler keeps the call.
var sink *gen.Org

// BenchmarkGenerate measures generating each preset size; B/op is the
// memory the generator allocates (most of it the Org itself).
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []gen.Size{gen.Small, gen.Medium, gen.Large} {
		b.Run(size.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = gen.Generate(1, size)
			}
			b.ReportMetric(float64(len(sink.Grants)), "grants")
		})
	}
}
