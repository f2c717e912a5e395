package resolve_test

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// The index benchmarks build the index straight from a generated
// organisation's change set (no memdb), so that a 1M-grant index takes a few
// seconds to set up. Run, for example:
//
//	go test -run '^$' -bench 'Index.*/large' -benchmem -count 5 ./resolve/

// fixture is one generated organisation and its index.
type fixture struct {
	org     *gen.Org
	cs      store.ChangeSet
	index   *resolve.Index
	now     int64
	allowed []gen.Query
	denied  []gen.Query
}

// changeSet turns an Org into the change set of one commit that writes it
// all, with synthetic grant ids in creation order.
func changeSet(o *gen.Org) store.ChangeSet {
	cs := store.ChangeSet{Revision: 1}
	for _, m := range o.Memberships {
		cs.Memberships = append(cs.Memberships, store.MembershipChange{Org: o.ID, Membership: m})
	}
	for _, l := range o.Links {
		cs.Links = append(cs.Links, store.LinkChange{Org: o.ID, Link: l})
	}
	rows := make([]model.Grant, len(o.Grants))
	for i, in := range o.Grants {
		rows[i] = model.Grant{
			ID: fmt.Sprintf("agrant_%010d", i), Org: o.ID, Entity: in.Entity, Grantee: in.Grantee,
			Level: in.Level, Effect: in.Effect, GrantedBy: in.GrantedBy, EffectiveFrom: in.EffectiveFrom, EffectiveTo: in.EffectiveTo,
			CreatedAt: o.LoadTime, UpdatedAt: o.LoadTime,
		}
		cs.Grants = append(cs.Grants, store.GrantChange{Grant: &rows[i]})
	}
	return cs
}

var fixtures sync.Map // gen.Size -> *fixture

func load(b *testing.B, size gen.Size) *fixture {
	b.Helper()
	if f, ok := fixtures.Load(size); ok {
		return f.(*fixture)
	}
	// The flat model (no folders, no denies), comparable with the figures
	// measured before either existed.
	cfg := size.Config()
	cfg.Seed = 1
	o := gen.New(cfg.Flat())
	f := &fixture{org: o, cs: changeSet(o), now: o.Epoch.UnixNano()}
	f.index = (*resolve.Index)(nil).Apply(f.cs)
	for _, q := range o.Queries(20_000) {
		if got := f.index.Check(o.ID, q.User, q.Entity, q.Level, f.now); got != q.Allowed {
			b.Fatalf("Check(%s, %s, %s) = %v, the generator's oracle says %v", q.User, q.Entity, q.Level, got, q.Allowed)
		}
		if q.Allowed {
			f.allowed = append(f.allowed, q)
		} else {
			f.denied = append(f.denied, q)
		}
	}
	fixtures.Store(size, f)
	return f
}

// loadQuiet returns the fixture after a full collection, so that the
// collector is not still marking the setup's garbage while the benchmark
// runs (it would take one of the two cores).
func loadQuiet(b *testing.B, size gen.Size) *fixture {
	f := load(b, size)
	runtime.GC()
	return f
}

// cpuTime is the process's user and system CPU time so far. The benchmarks
// report it per op beside the wall time: on a shared machine the wall time
// also counts the time other processes held the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

var sizes = []gen.Size{gen.Small, gen.Medium, gen.Large}

var sinkBool bool

func BenchmarkIndexCheck(b *testing.B) {
	for _, size := range sizes {
		for _, allowed := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/allowed=%v", size, allowed), func(b *testing.B) {
				f := loadQuiet(b, size)
				qs := f.denied
				if allowed {
					qs = f.allowed
				}
				b.ReportAllocs()
				i, start := 0, cpuTime()
				for b.Loop() {
					q := &qs[i%len(qs)]
					sinkBool = f.index.Check(f.org.ID, q.User, q.Entity, q.Level, f.now)
					i++
				}
				reportCPU(b, start)
			})
		}
	}
}

var sinkDecision resolve.Decision

func BenchmarkIndexResolve(b *testing.B) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			f := loadQuiet(b, size)
			b.ReportAllocs()
			i, start := 0, cpuTime()
			for b.Loop() {
				q := &f.allowed[i%len(f.allowed)]
				sinkDecision = f.index.Resolve(f.org.ID, q.User, q.Entity, f.now)
				i++
			}
			reportCPU(b, start)
		})
	}
}

var sinkIndex *resolve.Index

// BenchmarkIndexApplyAll applies the whole organisation as one commit to an
// empty index, and reports the heap the index keeps per grant.
func BenchmarkIndexApplyAll(b *testing.B) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			f := load(b, size)
			var before, after runtime.MemStats
			var cpu time.Duration
			for b.Loop() {
				sinkIndex = nil
				runtime.GC()
				runtime.ReadMemStats(&before)
				start := cpuTime()
				sinkIndex = (*resolve.Index)(nil).Apply(f.cs)
				cpu += cpuTime() - start
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(f.cs.Grants)), "heapB/grant")
			b.ReportMetric(float64(len(f.cs.Grants)), "grants")
		})
	}
}

// BenchmarkIndexApplyRichGrants applies the grants of an organisation of
// the generator's rich model (entities in folders, denies) as one commit
// to the index of its memberships and links: the index bench/report's
// BulkCreate derives, where every entity below a folder gets a check
// array of its own.
//
//	go test -run '^$' -bench 'IndexApplyRichGrants/medium' -count 5 ./resolve/
func BenchmarkIndexApplyRichGrants(b *testing.B) {
	forEachRichOrg(b, func(b *testing.B, cs store.ChangeSet) {
		// In key order, as BulkCreate's change set lists them.
		grants := store.ChangeSet{Revision: 2, Grants: cs.Grants}
		slices.SortFunc(grants.Grants, func(a, b store.GrantChange) int {
			x, y := a.Grant, b.Grant
			return cmp.Or(strings.Compare(x.Entity.Type, y.Entity.Type), strings.Compare(x.Entity.ID, y.Entity.ID),
				strings.Compare(string(x.Grantee.Type), string(y.Grantee.Type)), strings.Compare(x.Grantee.ID, y.Grantee.ID),
				cmp.Compare(x.Effect, y.Effect))
		})
		cs.Grants = nil
		benchApplyOn(b, (*resolve.Index)(nil).Apply(cs), grants, "grants", len(grants.Grants))
	})
}

// forEachRichOrg runs bench at every size on the change set of an
// organisation of the generator's rich model (bench/gen's default).
func forEachRichOrg(b *testing.B, bench func(*testing.B, store.ChangeSet)) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			if size == gen.Large && testing.Short() {
				b.Skip("the large organisation is too big for -short")
			}
			bench(b, changeSet(gen.Generate(1, size)))
		})
	}
}

// benchApplyOn times the commit cs applied to base, and reports its CPU
// time and how many items (the unit names them) it applies.
func benchApplyOn(b *testing.B, base *resolve.Index, cs store.ChangeSet, unit string, items int) {
	runtime.GC()
	var cpu time.Duration
	for b.Loop() {
		start := cpuTime()
		sinkIndex = base.Apply(cs)
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(items), unit)
}

// BenchmarkIndexApplyRichLinks applies the entity links of an organisation
// of the generator's rich model as one commit to the index of its
// memberships: the index bench/report's LinkEntities derives.
//
//	go test -run '^$' -bench 'IndexApplyRichLinks/medium' -count 5 ./resolve/
func BenchmarkIndexApplyRichLinks(b *testing.B) {
	forEachRichOrg(b, func(b *testing.B, cs store.ChangeSet) {
		links := store.ChangeSet{Revision: 2, Links: cs.Links}
		base := (*resolve.Index)(nil).Apply(store.ChangeSet{Revision: 1, Memberships: cs.Memberships})
		benchApplyOn(b, base, links, "links", len(links.Links))
	})
}

// BenchmarkIndexApplyOne applies one-grant commits (alternately a new grant
// and its revocation) on top of the full index.
func BenchmarkIndexApplyOne(b *testing.B) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			f := loadQuiet(b, size)
			g := *f.cs.Grants[len(f.cs.Grants)/2].Grant
			g.ID, g.Grantee = "agrant_zzzzzzzzzz", model.User("bench_new_user")
			put := store.ChangeSet{Grants: []store.GrantChange{{Grant: &g}}}
			del := store.ChangeSet{Grants: []store.GrantChange{{Grant: &g, Deleted: true}}}
			ix := f.index
			b.ReportAllocs()
			i, start := 0, cpuTime()
			for b.Loop() {
				if i%2 == 0 {
					ix = ix.Apply(put)
				} else {
					ix = ix.Apply(del)
				}
				i++
			}
			reportCPU(b, start)
			sinkIndex = ix
		})
	}
}

// BenchmarkIndexApplyMembership adds and removes one department nesting on
// top of the full index: the ancestor sets below it are recomputed.
func BenchmarkIndexApplyMembership(b *testing.B) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			f := loadQuiet(b, size)
			deps := f.org.Departments
			leaf, top := deps[len(deps)-1], deps[0]
			m := model.Membership{Member: model.Department(leaf.ID), Group: model.Department("bench_new_" + top.ID)}
			add := store.ChangeSet{Memberships: []store.MembershipChange{{Org: f.org.ID, Membership: m}}}
			remove := store.ChangeSet{Memberships: []store.MembershipChange{{Org: f.org.ID, Membership: m, Deleted: true}}}
			ix := f.index
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					ix = ix.Apply(add)
				} else {
					ix = ix.Apply(remove)
				}
				i++
			}
			sinkIndex = ix
		})
	}
}

// BenchmarkIndexApplyBatch applies n grants of gen.BatchInputs (10 per
// document, mostly to distinct users, in random order: what BulkCreate
// derives its index from) as one commit to an empty index.
func BenchmarkIndexApplyBatch(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			rows := make([]model.Grant, n)
			cs := store.ChangeSet{Revision: 1, Grants: make([]store.GrantChange, n)}
			for i, in := range gen.BatchInputs(n) {
				rows[i] = model.Grant{
					ID: fmt.Sprintf("agrant_%010d", i), Org: "org_bench", Entity: in.Entity, Grantee: in.Grantee,
					Level: in.Level, GrantedBy: in.GrantedBy, CreatedAt: at, UpdatedAt: at,
				}
				cs.Grants[i].Grant = &rows[i]
			}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				sinkIndex = (*resolve.Index)(nil).Apply(cs)
			}
			reportCPU(b, start)
		})
	}
}
