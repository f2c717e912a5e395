package store_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// benchGrants makes n grants of one organisation, 10 per document to users
// drawn from 100k, sorted by key.
func benchGrants(n int) ([]store.GrantKey, []model.Grant) {
	r := rand.New(rand.NewPCG(1, 2))
	gs := make([]model.Grant, 0, n)
	now := time.Unix(1_700_000_000, 0).UTC()
	for i := 0; len(gs) < n; i++ {
		ent := model.EntityRef{Type: "document", ID: fmt.Sprintf("doc_%07d", i)}
		seen := map[int]bool{}
		for len(seen) < 10 && len(gs) < n {
			u := r.IntN(100_000)
			if seen[u] {
				continue
			}
			seen[u] = true
			gs = append(gs, model.Grant{
				ID: fmt.Sprintf("agrant_%020d", len(gs)), Org: "org_bench", Entity: ent,
				Grantee: model.User(fmt.Sprintf("usr_%06d", u)), Level: model.LevelRead,
				CreatedAt: now, UpdatedAt: now,
			})
		}
	}
	slices.SortFunc(gs, func(a, b model.Grant) int { return keyOf(a).Compare(keyOf(b)) })
	keys := make([]store.GrantKey, len(gs))
	for i := range gs {
		keys[i] = keyOf(gs[i])
	}
	return keys, gs
}

// BenchmarkPutGrants stores n sorted grants in one transaction into an empty
// store: with PutGrants, and with one PutGrant per grant (which reads each
// key before writing it, making memdb copy every node on the path again).
// It reports the live heap per stored grant after a GC.
func BenchmarkPutGrants(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		keys, gs := benchGrants(n)
		b.Run(fmt.Sprintf("batch/%d", n), func(b *testing.B) {
			var live uint64
			for b.Loop() {
				var before, after runtime.MemStats
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				st, _ := store.New()
				tx := st.Write()
				err := tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
					for i := range gs {
						if !yield(keys[i], &gs[i]) {
							return
						}
					}
				})
				if err != nil {
					b.Fatal(err)
				}
				tx.Commit()
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				live += after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(st)
				b.StartTimer()
			}
			b.ReportMetric(float64(live)/float64(n*b.N), "heapB/grant")
		})
		if n > 100_000 {
			continue // one PutGrant per grant takes minutes at a million
		}
		b.Run(fmt.Sprintf("single/%d", n), func(b *testing.B) {
			for b.Loop() {
				st, _ := store.New()
				tx := st.Write()
				for i := range gs {
					if err := tx.PutGrant(gs[i]); err != nil {
						b.Fatal(err)
					}
				}
				tx.Commit()
			}
		})
	}
}

// BenchmarkSeekGrants looks up n keys in ascending order in a store holding
// every other one of them: with a GrantSeeker, and with one GrantByKey
// (a memdb First) per key.
func BenchmarkSeekGrants(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		keys, gs := benchGrants(n)
		st, _ := store.New()
		tx := st.Write()
		for i := 0; i < n; i += 2 {
			if err := tx.PutGrant(gs[i]); err != nil {
				b.Fatal(err)
			}
		}
		tx.Commit()
		b.Run(fmt.Sprintf("seeker/%d", n), func(b *testing.B) {
			for b.Loop() {
				s := st.Snapshot().Read().SeekGrants()
				for i := range keys {
					if _, _, err := s.Get(keys[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(fmt.Sprintf("first/%d", n), func(b *testing.B) {
			for b.Loop() {
				r := st.Snapshot().Read()
				for i := range gs {
					r.GrantByKey(gs[i].Org, gs[i].Entity, gs[i].Grantee)
				}
			}
		})
	}
}
