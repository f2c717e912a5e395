package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// The resolution benchmarks measure the public engine API on organisations
// made by bench/gen, one sub-benchmark per size (small ~10k grants, medium
// ~100k, large 1M grants and 100k users). Each size is generated and loaded
// once per process, on first use, so filter the sizes you want:
//
//	go test -run '^$' -bench '(Check|Resolve|ResolvedAccess|UsersWithAccess|ListGrantsPaging|AddMembers)/(small|medium)' -benchmem -count 3 ./engine/
//	go test -run '^$' -bench '(Check|Resolve)/large' -benchmem -count 5 ./engine/
//
// Loading large (1M grants) dominates a run that includes it: leave it out
// of the filter unless it is what you mean to measure.
//
// Most benchmarks run on the flat model (gen.Config.Flat: allows on
// entities, no folders, no denies), comparable with the figures measured
// before denies and links existed; CheckDenyLinks and ResolveDenyLinks run
// on the generator's defaults, with folder trees and denies.

// genFixture is a generated organisation loaded into an engine whose clock
// stands at the organisation's Epoch, with queries drawn in advance so that
// the benchmark loops allocate nothing of their own.
type genFixture struct {
	org *gen.Org
	e   *engine.Engine
	// queries are the generator's queries in order; allowed and denied split
	// them by expected answer.
	queries, allowed, denied []gen.Query
}

// fixtureQueries is how many queries each fixture draws and verifies.
const fixtureQueries = 20_000

// benchSizes are the sizes every resolution benchmark runs at.
var benchSizes = []gen.Size{gen.Small, gen.Medium, gen.Large}

// fixtureKind is the access model of a fixture's organisation.
type fixtureKind struct {
	size gen.Size
	// rich is the generator's defaults (folders and denies); false is
	// gen.Config.Flat.
	rich bool
}

// genFixtures caches one fixture per size and model for the whole process:
// loading the large organisation takes far longer than any benchmark of it.
var genFixtures struct {
	mu     sync.Mutex
	byKind map[fixtureKind]*fixtureSlot
}

// fixtureSlot builds its fixture once; a failed build is remembered, so every
// benchmark of that size fails the same way instead of loading again.
type fixtureSlot struct {
	once sync.Once
	f    *genFixture
	err  error
}

// loadKind returns the fixture of the kind, building it on first use.
func loadKind(tb testing.TB, kind fixtureKind) *genFixture {
	tb.Helper()
	genFixtures.mu.Lock()
	if genFixtures.byKind == nil {
		genFixtures.byKind = map[fixtureKind]*fixtureSlot{}
	}
	slot, ok := genFixtures.byKind[kind]
	if !ok {
		slot = &fixtureSlot{}
		genFixtures.byKind[kind] = slot
	}
	genFixtures.mu.Unlock()
	slot.once.Do(func() { slot.f, slot.err = buildFixture(kind) })
	require.NoError(tb, slot.err, "loading the %s organisation (rich %v)", kind.size, kind.rich)
	return slot.f
}

// buildFixture generates the organisation of kind (the flat model, or the
// generator's defaults with folders and denies), loads it (loadGenOrg) and
// checks the engine against the generator's answers. The engine is never
// closed: it lives as long as the process.
func buildFixture(kind fixtureKind) (*genFixture, error) {
	cfg := kind.size.Config()
	cfg.Seed = 1
	if !kind.rich {
		cfg = cfg.Flat()
	}
	o := gen.New(cfg)
	e, err := loadGenOrg(o)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	f := &genFixture{org: o, e: e, queries: o.Queries(fixtureQueries)}
	for _, q := range f.queries {
		got, err := e.Check(ctx, o.ID, q.User, q.Entity, q.Level)
		if err != nil {
			return nil, err
		}
		if got != q.Allowed {
			return nil, fmt.Errorf("Check(%s, %s, %s) = %v, the generator's oracle says %v", q.User, q.Entity, q.Level, got, q.Allowed)
		}
		if q.Allowed {
			f.allowed = append(f.allowed, q)
		} else {
			f.denied = append(f.denied, q)
		}
	}
	if len(f.allowed) == 0 || len(f.denied) == 0 {
		return nil, fmt.Errorf("%d allowed and %d denied queries: need both", len(f.allowed), len(f.denied))
	}
	return f, nil
}

// loadGenOrg loads o into a new engine at o's LoadTime (some of its windows
// end before Epoch, and an ended window is refused when written): its
// memberships, links, then grants; and moves the engine's clock to Epoch.
func loadGenOrg(o *gen.Org) (*engine.Engine, error) {
	var now atomic.Int64
	now.Store(o.LoadTime.UnixNano())
	e, err := engine.Open(
		engine.WithClock(func() time.Time { return time.Unix(0, now.Load()).UTC() }),
		// Sweeping ended grants would write in the middle of a measurement;
		// it never changes an answer.
		engine.WithSweepInterval(0),
	)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := e.AddMembers(ctx, o.ID, o.Memberships...); err != nil {
		return nil, fmt.Errorf("adding %d memberships: %w", len(o.Memberships), err)
	}
	if err := e.LinkEntities(ctx, o.ID, o.Links...); err != nil {
		return nil, fmt.Errorf("linking %d entities: %w", len(o.Links), err)
	}
	res, err := e.BulkCreate(ctx, o.ID, o.Grants, bulk.Options{Mode: bulk.AllOrNothing})
	if err != nil {
		return nil, fmt.Errorf("creating %d grants: %w", len(o.Grants), err)
	}
	if !res.Committed || res.Summary.Succeeded != len(o.Grants) {
		return nil, fmt.Errorf("created %d of %d grants (%+v)", res.Summary.Succeeded, len(o.Grants), res.Summary)
	}
	now.Store(o.Epoch.UnixNano())
	return e, nil
}

// forEachSize runs fn as one sub-benchmark per size, on that size's flat
// fixture, after a full collection so that the collector is not still
// marking the load's garbage while fn measures (it would take one of the two
// cores).
func forEachSize(b *testing.B, fn func(b *testing.B, f *genFixture)) {
	forEachKind(b, benchSizes, false, fn)
}

// forEachKind is forEachSize for the given sizes and model.
func forEachKind(b *testing.B, sizes []gen.Size, rich bool, fn func(b *testing.B, f *genFixture)) {
	for _, size := range sizes {
		b.Run(size.String(), func(b *testing.B) {
			if size == gen.Large && testing.Short() {
				b.Skip("the large organisation (1M grants) is too big for -short")
			}
			f := loadKind(b, fixtureKind{size: size, rich: rich})
			runtime.GC()
			fn(b, f)
		})
	}
}

// richSizes are the sizes the deny-and-links benchmarks run at.
var richSizes = []gen.Size{gen.Medium, gen.Large}

// cpuTime is the process's user and system CPU time so far. Benchmarks report
// it per op beside the wall time: on a shared machine the wall time also
// counts the time other processes held the cores.
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

// BenchmarkCheck asks allowed and denied queries one after the other, and a
// mix of both from every core with b.RunParallel, on the flat model. Check
// must not allocate.
func BenchmarkCheck(b *testing.B) {
	forEachSize(b, benchCheckKinds)
}

// BenchmarkCheckDenyLinks is BenchmarkCheck on the generator's defaults:
// entities in folder trees three or four deep and about 3% denies, so
// that Check reads the entity's ancestors and caps by denies.
func BenchmarkCheckDenyLinks(b *testing.B) {
	forEachKind(b, richSizes, true, benchCheckKinds)
}

func benchCheckKinds(b *testing.B, f *genFixture) {
	for _, tc := range []struct {
		name string
		qs   []gen.Query
	}{{"allowed", f.allowed}, {"denied", f.denied}} {
		b.Run(tc.name, func(b *testing.B) { benchCheck(b, f, tc.qs) })
	}
	b.Run("parallel", func(b *testing.B) { benchCheckParallel(b, f) })
}

func benchCheck(b *testing.B, f *genFixture, qs []gen.Query) {
	ctx, org := context.Background(), f.org.ID
	qs = gen.AsRequests(qs)
	b.ReportAllocs()
	i, start := 0, cpuTime()
	for b.Loop() {
		q := &qs[i]
		ok, err := f.e.Check(ctx, org, q.User, q.Entity, q.Level)
		if err != nil || ok != q.Allowed {
			b.Fatalf("Check(%s, %s, %s) = %v, %v; want %v", q.User, q.Entity, q.Level, ok, err, q.Allowed)
		}
		if i++; i == len(qs) {
			i = 0
		}
	}
	reportCPU(b, start)
}

func benchCheckParallel(b *testing.B, f *genFixture) {
	ctx, org, qs := context.Background(), f.org.ID, gen.AsRequests(f.queries)
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine starts at its own place in the queries, so that they
		// do not ask the same question at the same moment.
		i := int(worker.Add(1)*7919) % len(qs)
		for pb.Next() {
			q := &qs[i]
			ok, err := f.e.Check(ctx, org, q.User, q.Entity, q.Level)
			if err != nil || ok != q.Allowed {
				b.Errorf("Check(%s, %s, %s) = %v, %v; want %v", q.User, q.Entity, q.Level, ok, err, q.Allowed)
				return
			}
			if i++; i == len(qs) {
				i = 0
			}
		}
	})
}

// BenchmarkResolve explains allowed queries: the level and the paths that
// give it, on the flat model.
func BenchmarkResolve(b *testing.B) {
	forEachSize(b, benchResolve)
}

// BenchmarkResolveDenyLinks is BenchmarkResolve on the generator's
// defaults (folders and denies): the paths name the entity chain, and the
// denies that apply are listed too.
func BenchmarkResolveDenyLinks(b *testing.B) {
	forEachKind(b, richSizes, true, benchResolve)
}

func benchResolve(b *testing.B, f *genFixture) {
	ctx, org, qs := context.Background(), f.org.ID, f.allowed
	b.ReportAllocs()
	i, start := 0, cpuTime()
	for b.Loop() {
		q := &qs[i]
		d, err := f.e.Resolve(ctx, org, q.User, q.Entity)
		if err != nil || d.Level < q.Level || len(d.Via) == 0 {
			b.Fatalf("Resolve(%s, %s) = level %s with %d paths, %v; want %s or more", q.User, q.Entity, d.Level, len(d.Via), err, q.Level)
		}
		if i++; i == len(qs) {
			i = 0
		}
	}
	reportCPU(b, start)
}

// BenchmarkResolvedAccess lists everything a user who reaches about 50
// entities can read; "entities" is how many exactly.
func BenchmarkResolvedAccess(b *testing.B) {
	forEachSize(b, func(b *testing.B, f *genFixture) {
		user, reach := f.org.UserWithReach(50)
		ctx, org := context.Background(), f.org.ID
		q := resolve.Query{MinLevel: model.LevelRead}
		b.ReportAllocs()
		start := cpuTime()
		for b.Loop() {
			ds, err := f.e.ResolvedAccess(ctx, org, user, q)
			if err != nil || len(ds) != reach {
				b.Fatalf("ResolvedAccess(%s) = %d entities, %v; the generator says %d", user, len(ds), err, reach)
			}
		}
		reportCPU(b, start)
		b.ReportMetric(float64(reach), "entities")
	})
}

// audienceTarget is how many users the UsersWithAccess benchmark wants to
// reach its entity: about 1,000, as the design's benchmark asks, or, in an
// organisation too small to have such an entity, the same share of its
// users (1%).
func audienceTarget(o *gen.Org) (model.EntityRef, int) {
	const want = 1000
	entity, audience := o.EntityWithAudience(want)
	if audience*10 < want*9 || audience*10 > want*11 {
		entity, audience = o.EntityWithAudience(max(len(o.Users)/100, 1))
	}
	return entity, audience
}

// BenchmarkUsersWithAccess lists the readers of an entity read by about
// 1,000 users (fewer in smaller organisations); "users" is how many exactly.
func BenchmarkUsersWithAccess(b *testing.B) {
	forEachSize(b, func(b *testing.B, f *genFixture) {
		entity, audience := audienceTarget(f.org)
		ctx, org := context.Background(), f.org.ID
		b.ReportAllocs()
		start := cpuTime()
		for b.Loop() {
			us, err := f.e.UsersWithAccess(ctx, org, entity, model.LevelRead)
			if err != nil || len(us) != audience {
				b.Fatalf("UsersWithAccess(%s) = %d users, %v; the generator says %d", entity, len(us), err, audience)
			}
		}
		reportCPU(b, start)
		b.ReportMetric(float64(audience), "users")
	})
}

// pagesWalked is how deep BenchmarkListGrantsPaging walks before it starts
// again at the first page.
const pagesWalked = 5

// BenchmarkListGrantsPaging reads one page of 100 grants of one entity type
// per op, walking on with the cursor for pagesWalked pages and then starting
// again.
func BenchmarkListGrantsPaging(b *testing.B) {
	forEachSize(b, func(b *testing.B, f *genFixture) {
		ctx, org := context.Background(), f.org.ID
		first := model.GrantQuery{Entity: model.EntityRef{Type: f.org.Config.EntityTypes[0]}, Limit: 100}
		q, page := first, 0
		b.ReportAllocs()
		for b.Loop() {
			p, err := f.e.ListGrants(ctx, org, q)
			if err != nil || (len(p.Grants) != first.Limit && p.NextCursor != "") {
				b.Fatalf("page %d: %d grants, %v", page, len(p.Grants), err)
			}
			sinkPage = p
			if page++; page == pagesWalked || p.NextCursor == "" {
				q, page = first, 0
			} else {
				q.Cursor = p.NextCursor
			}
		}
	})
}

// BenchmarkAddMembers adds one membership to the loaded organisation and
// removes it again, two commits per op: a user into a leaf department it is
// not in, and a leaf department into a top-level department of another
// branch (so the cycle check walks up a whole branch).
func BenchmarkAddMembers(b *testing.B) {
	forEachSize(b, func(b *testing.B, f *genFixture) {
		for _, tc := range []struct {
			name string
			m    model.Membership
		}{
			{"user", newUserMembership(b, f.org)},
			{"department", newDepartmentMembership(b, f.org)},
		} {
			b.Run(tc.name, func(b *testing.B) { benchAddRemove(b, f, tc.m) })
		}
	})
}

func benchAddRemove(b *testing.B, f *genFixture, m model.Membership) {
	ctx, org := context.Background(), f.org.ID
	b.ReportAllocs()
	for b.Loop() {
		if err := f.e.AddMembers(ctx, org, m); err != nil {
			b.Fatal(err)
		}
		if err := f.e.RemoveMembers(ctx, org, m); err != nil {
			b.Fatal(err)
		}
	}
}

// newUserMembership puts the first user with a department into a leaf
// department it is not a member of.
func newUserMembership(tb testing.TB, o *gen.Org) model.Membership {
	groups := map[model.Subject][]model.Subject{}
	var user model.Subject
	for _, m := range o.Memberships {
		groups[m.Member] = append(groups[m.Member], m.Group)
		if user == (model.Subject{}) && m.Member.Type == model.SubjectUser && m.Group.Type == model.SubjectDepartment {
			user = m.Member
		}
	}
	for _, d := range o.Departments {
		leaf := model.Department(d.ID)
		if d.Depth == o.Config.DeptDepth && !containsSubject(groups[user], leaf) {
			return model.Membership{Member: user, Group: leaf}
		}
	}
	tb.Fatalf("no leaf department without %s", user)
	return model.Membership{}
}

// newDepartmentMembership nests the first leaf department into a top-level
// department of another branch of the tree.
func newDepartmentMembership(tb testing.TB, o *gen.Org) model.Membership {
	parent := map[string]string{}
	for _, d := range o.Departments {
		parent[d.ID] = d.Parent
	}
	for _, leaf := range o.Departments {
		if leaf.Depth != o.Config.DeptDepth {
			continue
		}
		top := leaf.ID
		for parent[top] != "" {
			top = parent[top]
		}
		for _, d := range o.Departments {
			if d.Parent == "" && d.ID != top {
				return model.Membership{Member: model.Department(leaf.ID), Group: model.Department(d.ID)}
			}
		}
		break
	}
	tb.Fatal("the department tree has a single branch")
	return model.Membership{}
}

func containsSubject(ss []model.Subject, s model.Subject) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
