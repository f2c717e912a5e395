package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/hashicorp/go-memdb"
)

// These benchmarks back the grants table's layout: one unique radix index
// (the key, which also serves "by entity" and "by organisation" as
// prefixes) plus two copy-on-write btrees of rows, by id and by grantee,
// against the plain alternative of three memdb radix indexes (key, grantee,
// id). Each runs the layouts side by side ("layout=radix1+btree2" is the
// store itself).
//
//	go test -run '^$' -bench 'Grant' -benchmem -count 5 ./store/

// benchScale is the number of grants of the large benchmarks.
const benchScale = 100_000

var (
	benchOnce   sync.Once
	benchSorted []model.Grant // by key; ids in creation order, not key order
	benchRandom []model.Grant // the same grants, shuffled
)

// benchGrantSet returns benchScale grants of one organisation, 10 per
// entity, to grantees drawn from 20k users, 500 departments and 500 roles;
// ids sort by creation. Generated once per process.
func benchGrantSet() (sorted, random []model.Grant) {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(7, 11))
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		gs := make([]model.Grant, 0, benchScale)
		for e := 0; len(gs) < benchScale; e++ {
			entity := model.EntityRef{Type: "knowledge_slice", ID: fmt.Sprintf("kslice_%07d", e)}
			seen := map[model.Subject]bool{}
			for len(seen) < 10 && len(gs) < benchScale {
				var s model.Subject
				switch n := r.IntN(10); {
				case n < 8:
					s = model.User(fmt.Sprintf("usr_%06d", r.IntN(20_000)))
				case n < 9:
					s = model.Department(fmt.Sprintf("dept_%04d", r.IntN(500)))
				default:
					s = model.Role(fmt.Sprintf("role_%04d", r.IntN(500)))
				}
				if seen[s] {
					continue
				}
				seen[s] = true
				gs = append(gs, model.Grant{
					ID: fmt.Sprintf("agrant_%020d", len(gs)), Org: "org_bench",
					Entity: entity, Grantee: s, Level: model.Level(1 + r.IntN(3)),
					GrantedBy: "usr_owner", CreatedAt: at, UpdatedAt: at,
				})
			}
		}
		// Creation order is not key order: shuffle, then sort by key for
		// the sorted set.
		r.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
		for i := range gs {
			gs[i].ID = fmt.Sprintf("agrant_%020d", i)
		}
		benchRandom = gs
		benchSorted = slices.Clone(gs)
		slices.SortFunc(benchSorted, func(a, b model.Grant) int {
			return strings.Compare(grantKey(a.Org, a.Entity, a.Grantee), grantKey(b.Org, b.Entity, b.Grantee))
		})
	})
	return benchSorted, benchRandom
}

// grantLayout is one way of storing grants.
type grantLayout interface {
	// put stores gs in one transaction and commits it.
	put(gs []model.Grant)
	// reader returns a lookup on the last commit.
	reader() grantReader
}

type grantReader interface {
	byID(org, id string) bool
	byKey(org string, e model.EntityRef, s model.Subject) bool
}

var layouts = []struct {
	name string
	make func() grantLayout
	// sortedOnly layouts take grants in key order only.
	sortedOnly bool
}{
	{"radix1+btree2", newStoreLayout, false},
	{"radix1+btree2/PutGrants", newStoreBatchLayout, true},
	{"radix3", newRadix3Layout, false},
}

// storeLayout is the store as it is.
type storeLayout struct{ s *Store }

func newStoreLayout() grantLayout {
	s, err := New()
	if err != nil {
		panic(err)
	}
	return &storeLayout{s}
}

func (l *storeLayout) put(gs []model.Grant) {
	w := l.s.Write()
	defer w.Abort()
	for _, g := range gs {
		if err := w.PutGrant(g); err != nil {
			panic(err)
		}
	}
	w.Commit()
}

// storeBatchLayout is the store written through its batch path, which reads
// nothing between inserts (PutGrant looks the key up first, and a read makes
// memdb forget the radix nodes the transaction already copied).
type storeBatchLayout struct{ storeLayout }

func newStoreBatchLayout() grantLayout {
	return &storeBatchLayout{*newStoreLayout().(*storeLayout)}
}

func (l *storeBatchLayout) put(gs []model.Grant) {
	w := l.s.Write()
	defer w.Abort()
	err := w.PutGrants(func(yield func(GrantKey, *model.Grant) bool) {
		for i := range gs {
			if !yield(KeyOf(gs[i].Org, gs[i].Entity, gs[i].Grantee), &gs[i]) {
				return
			}
		}
	})
	if err != nil {
		panic(err)
	}
	w.Commit()
}

func (l *storeLayout) reader() grantReader { return storeReader{l.s.Snapshot().Read()} }

type storeReader struct{ r *ReadTxn }

func (r storeReader) byID(org, id string) bool { _, ok := r.r.GrantByID(org, id); return ok }
func (r storeReader) byKey(org string, e model.EntityRef, s model.Subject) bool {
	_, ok := r.r.GrantByKey(org, e, s)
	return ok
}

// radix3Layout is the alternative: the same rows in memdb with three unique
// radix indexes (key, grantee, grant id) and no btrees. Written through a
// non-tracking database, committed and snapshotted as the store does.
type radix3Layout struct {
	db   *memdb.MemDB
	last *memdb.MemDB
}

const (
	indexGrantID    = "grant_id"
	indexGranteeAlt = "grantee"
)

func newRadix3Layout() grantLayout {
	grants := grantsTableSchema()
	grants.Indexes[indexGranteeAlt] = &memdb.IndexSchema{Name: indexGranteeAlt, Unique: true, Indexer: keyIndexer[*grantRow]{
		key: func(r *grantRow) string { return granteeKey(r.g.Org, r.g.Grantee, r.g.Entity) },
	}}
	grants.Indexes[indexGrantID] = &memdb.IndexSchema{Name: indexGrantID, Unique: true, Indexer: keyIndexer[*grantRow]{
		key: func(r *grantRow) string { return r.g.ID },
	}}
	primary, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{tableGrants: grants}})
	if err != nil {
		panic(err)
	}
	db := primary.Snapshot()
	return &radix3Layout{db: db, last: db.Snapshot()}
}

func (l *radix3Layout) put(gs []model.Grant) {
	txn := l.db.Txn(true)
	for _, g := range gs {
		// Insert replaces a row of the same key and updates every index,
		// the id index included: no lookup needed first.
		if err := txn.Insert(tableGrants, newGrantRow(g)); err != nil {
			panic(err)
		}
	}
	txn.Commit()
	l.last = l.db.Snapshot()
}

func (l *radix3Layout) reader() grantReader { return radix3Reader{l.last.Txn(false)} }

type radix3Reader struct{ txn *memdb.Txn }

func (r radix3Reader) byID(org, id string) bool {
	raw, err := r.txn.First(tableGrants, indexGrantID, id)
	return err == nil && raw != nil && raw.(*grantRow).g.Org == org
}

func (r radix3Reader) byKey(org string, e model.EntityRef, s model.Subject) bool {
	raw, err := r.txn.First(tableGrants, indexID, grantKey(org, e, s))
	return err == nil && raw != nil
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

var benchSink bool

// lookupReaders holds the stores of the lookup benchmarks, by layout.
var lookupReaders = map[string]grantReader{}

// BenchmarkPutGrantPerTxn stores one new grant per transaction, as
// CreateGrant does, into a store holding 0 or 100k grants.
func BenchmarkPutGrantPerTxn(b *testing.B) {
	sorted, _ := benchGrantSet()
	for _, existing := range []int{0, benchScale} {
		for _, lay := range layouts {
			b.Run(fmt.Sprintf("existing=%d/layout=%s", existing, lay.name), func(b *testing.B) {
				l := lay.make()
				if existing > 0 {
					l.put(sorted[:existing])
				}
				at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					// New entities (so, in key order, for the batch path) after the existing ones, new ids after theirs.
					l.put([]model.Grant{{
						ID: fmt.Sprintf("agrant_9%019d", i), Org: "org_bench",
						Entity:  model.EntityRef{Type: "knowledge_slice", ID: fmt.Sprintf("kslice_new_%09d", i)},
						Grantee: model.User("usr_000001"), Level: model.LevelRead,
						CreatedAt: at, UpdatedAt: at,
					}})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
			})
		}
	}
}

// BenchmarkPut100kOneTxn stores 100k grants in one transaction into an empty
// store, in key order and in random order, and reports the live heap the
// store holds per grant afterwards.
func BenchmarkPut100kOneTxn(b *testing.B) {
	sorted, random := benchGrantSet()
	for _, order := range []struct {
		name string
		gs   []model.Grant
	}{{"sorted", sorted}, {"random", random}} {
		for _, lay := range layouts {
			if lay.sortedOnly && order.name != "sorted" {
				continue
			}
			b.Run(fmt.Sprintf("order=%s/layout=%s", order.name, lay.name), func(b *testing.B) {
				var perGrant float64
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					before := liveHeap()
					b.StartTimer()
					l := lay.make()
					l.put(order.gs)
					b.StopTimer()
					perGrant = float64(liveHeap()-before) / float64(len(order.gs))
					runtime.KeepAlive(l)
					b.StartTimer()
				}
				b.ReportMetric(float64(b.N*len(order.gs))/b.Elapsed().Seconds(), "grants/s")
				b.ReportMetric(perGrant, "B/grant")
			})
		}
	}
}

// BenchmarkGrantByID and BenchmarkGrantByKey look up stored grants, in
// random order, in a store of 100k.
func BenchmarkGrantByID(b *testing.B) {
	benchLookup(b, func(r grantReader, g *model.Grant) bool { return r.byID(g.Org, g.ID) })
}

func BenchmarkGrantByKey(b *testing.B) {
	benchLookup(b, func(r grantReader, g *model.Grant) bool { return r.byKey(g.Org, g.Entity, g.Grantee) })
}

func benchLookup(b *testing.B, find func(grantReader, *model.Grant) bool) {
	sorted, random := benchGrantSet()
	for _, lay := range layouts {
		b.Run("n=100000/layout="+lay.name, func(b *testing.B) {
			// Built once per process: the benchmark only reads it.
			r, ok := lookupReaders[lay.name]
			if !ok {
				l := lay.make()
				l.put(sorted)
				r = l.reader()
				lookupReaders[lay.name] = r
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g := &random[i%len(random)]
				if benchSink = find(r, g); !benchSink {
					b.Fatalf("grant %s not found", g.ID)
				}
			}
		})
	}
}
