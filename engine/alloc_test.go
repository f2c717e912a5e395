// The race detector instruments memory accesses and allocates on its own, so
// under -race AllocsPerRun would count the detector's allocations, not
// Check's: this guard runs in the ordinary (non-race) test run only.

//go:build !race

package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
)

// TestCheckDoesNotAllocate guards the hot path: Check on a loaded
// organisation allocates nothing, whether it allows or denies, on the flat
// model and on the generator's defaults (folders and denies).
func TestCheckDoesNotAllocate(t *testing.T) {
	for _, rich := range []bool{false, true} {
		f := loadKind(t, fixtureKind{size: gen.Small, rich: rich})
		name := "flat"
		if rich {
			name = "denies and links"
		}
		t.Run(name, func(t *testing.T) { checkDoesNotAllocate(t, f) })
	}
}

func checkDoesNotAllocate(t *testing.T, f *genFixture) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		qs   []gen.Query
	}{{"allowed", f.allowed}, {"denied", f.denied}} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEmpty(t, tc.qs)
			i := 0
			allocs := testing.AllocsPerRun(1000, func() {
				q := &tc.qs[i%len(tc.qs)]
				i++
				ok, err := f.e.Check(ctx, f.org.ID, q.User, q.Entity, q.Level)
				if err != nil || ok != q.Allowed {
					t.Errorf("Check(%s, %s, %s) = %v, %v; want %v", q.User, q.Entity, q.Level, ok, err, q.Allowed)
				}
			})
			assert.Zero(t, allocs, "allocations per Check")
		})
	}
}
