package disk_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// diskBenchGrants makes n grants of one organisation, 10 per entity, to
// grantees drawn from 100k users, with engine-like ids, in key order.
func diskBenchGrants(n int) ([]store.GrantKey, []model.Grant) {
	r := rand.New(rand.NewPCG(3, 4))
	now := time.Unix(1_700_000_000, 123_000_000).UTC()
	gs := make([]model.Grant, 0, n)
	for e := 0; len(gs) < n; e++ {
		ent := model.EntityRef{Type: "knowledge_slice", ID: fmt.Sprintf("kslice_%07d", e)}
		seen := map[int]bool{}
		for len(seen) < 10 && len(gs) < n {
			u := r.IntN(100_000)
			if seen[u] {
				continue
			}
			seen[u] = true
			gs = append(gs, model.Grant{
				ID: fmt.Sprintf("agrant_%010x%04x%06x", 0x18f00000000+len(gs)/1000, len(gs)%1000, r.IntN(1<<24)), Org: "org_xyz789",
				Entity: ent, Grantee: model.User(fmt.Sprintf("usr_%06d", u)), Level: model.Level(1 + r.IntN(3)),
				GrantedBy: "usr_owner", CreatedAt: now, UpdatedAt: now,
			})
		}
	}
	slices.SortFunc(gs, func(a, b model.Grant) int {
		return store.KeyOf(a.Org, a.Entity, a.Grantee).Compare(store.KeyOf(b.Org, b.Entity, b.Grantee))
	})
	keys := make([]store.GrantKey, n)
	for i := range gs {
		keys[i] = store.KeyOf(gs[i].Org, gs[i].Entity, gs[i].Grantee)
	}
	return keys, gs
}

// putAll stores the grants in a new store in one commit, the way a bulk
// create does: the reference a load is measured against.
func putAll(b *testing.B, keys []store.GrantKey, gs []model.Grant) *store.Store {
	s, err := store.New()
	if err != nil {
		b.Fatal(err)
	}
	tx := s.Write()
	err = tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
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
	return s
}

var snapSizes = []int{100_000, 1_000_000}

func skipBig(b *testing.B, n int) {
	if n > 100_000 && testing.Short() {
		b.Skip("1M grants: not under -short")
	}
}

// BenchmarkSnapshot measures, per size: writing a snapshot (and its bytes
// on disk per grant), loading it into a new store through a Dir, and, as the
// reference, putting the same grants into a new store in one commit.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range snapSizes {
		b.Run(fmt.Sprintf("write/%d", n), func(b *testing.B) {
			skipBig(b, n)
			keys, gs := diskBenchGrants(n)
			snap := putAll(b, keys, gs).Snapshot()
			var size int64
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "snap")
				if err := disk.WriteSnapshotDir(context.Background(), snap, path); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(filepath.Join(path, fmt.Sprintf("snapshot-%020d.buntdb", snap.Revision())))
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
			}
			b.ReportMetric(float64(size)/float64(n), "disk-B/grant")
		})
		b.Run(fmt.Sprintf("load/%d", n), func(b *testing.B) {
			skipBig(b, n)
			keys, gs := diskBenchGrants(n)
			path := filepath.Join(b.TempDir(), "snap")
			if err := disk.WriteSnapshotDir(context.Background(), putAll(b, keys, gs).Snapshot(), path); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				d, err := disk.Open(path, disk.Options{})
				if err != nil {
					b.Fatal(err)
				}
				s, _ := store.New()
				if _, err := d.Load(s); err != nil {
					b.Fatal(err)
				}
				if err := d.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("putgrants-reference/%d", n), func(b *testing.B) {
			skipBig(b, n)
			keys, gs := diskBenchGrants(n)
			for b.Loop() {
				putAll(b, keys, gs)
			}
		})
	}
}
