package resolve_test

import (
	"fmt"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// BenchmarkIndexCheckPaths measures Check on the same organisation and
// queries three ways in one run: on its own index ("first"); once another
// organisation holds a deny and a link ("other_org"); and once the
// organisation itself holds a deny and a link on entities the queries never
// ask about ("own_org"). All three should cost the same: a check reads
// denies and ancestors only on the entities that have them. Run, for example:
//
//	go test -run '^$' -bench 'IndexCheckPaths/medium' -benchmem -count 5 ./resolve/
func BenchmarkIndexCheckPaths(b *testing.B) {
	for _, size := range sizes {
		f := func(b *testing.B) *fixture { return loadQuiet(b, size) }
		for _, path := range []string{"first", "other_org", "own_org"} {
			b.Run(fmt.Sprintf("%s/%s", size, path), func(b *testing.B) {
				fx := f(b)
				ix := fx.index
				switch path {
				case "other_org":
					ix = withDenyAndLink(fx, "org_elsewhere")
				case "own_org":
					ix = withDenyAndLink(fx, fx.org.ID)
				}
				qs := fx.allowed
				b.ReportAllocs()
				i, start := 0, cpuTime()
				for b.Loop() {
					q := &qs[i%len(qs)]
					sinkBool = ix.Check(fx.org.ID, q.User, q.Entity, q.Level, fx.now)
					i++
				}
				reportCPU(b, start)
			})
		}
	}
}

// withDenyAndLink returns the fixture's index with a deny and a link in org,
// on entities of their own.
func withDenyAndLink(f *fixture, org string) *resolve.Index {
	deny := model.Grant{ID: "agrant_x", Org: org, Entity: model.EntityRef{Type: "bench_only", ID: "d"},
		Grantee: model.User("u"), Level: model.LevelRead, Effect: model.EffectDeny}
	return f.index.Apply(store.ChangeSet{
		Revision: f.index.Revision() + 1,
		Grants:   []store.GrantChange{{Grant: &deny}},
		Links: []store.LinkChange{{Org: org, Link: model.EntityLink{
			Child: model.EntityRef{Type: "bench_only", ID: "d"}, Parent: model.EntityRef{Type: "bench_only", ID: "f"}}}},
	})
}
