package resolve_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// TestLargeCommitMatchesSmallOnes applies the same changes as two large
// commits (grants on many entities in random order, links made in the same
// commit as the grants, then revocations that empty some entities) and as
// one commit per change, and compares every decision, and Check with it.
func TestLargeCommitMatchesSmallOnes(t *testing.T) {
	tests := []struct {
		name         string
		docs, grants int
		userStride   int // the users compared: every userStride-th
	}{
		{"few entities", 300, 3000, 1},
		// A third are filed, in 7 folders that get grants: every filed
		// document's check array is rebuilt, on two goroutines.
		{"check arrays rebuilt on two goroutines", 6300, 3000, 5},
		// Enough grant changes that the entities' records are built on two
		// goroutines, each writing half of the entity map.
		{"records built on two goroutines", 6300, 12000, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testLargeCommitMatchesSmallOnes(t, tt.docs, tt.grants, tt.userStride) })
	}
}

func testLargeCommitMatchesSmallOnes(t *testing.T, docs, grantCount, userStride int) {
	twoProcs(t)
	r := rand.New(rand.NewPCG(1, 2))
	var first, second store.ChangeSet
	for u := range 40 {
		first.Memberships = append(first.Memberships, store.MembershipChange{Org: org, Membership: model.Membership{
			Member: model.User(testUser(u)), Group: model.Department(fmt.Sprintf("dept%d", u%6)),
		}})
	}
	for d := range docs {
		if d%3 == 0 { // a third of the documents are filed
			first.Links = append(first.Links, store.LinkChange{Org: org, Link: model.EntityLink{Child: docRef(fmt.Sprintf("d%d", d)), Parent: testFolder(d % 7)}})
		}
	}
	var grants []*model.Grant
	for i := range grantCount {
		var entity model.EntityRef
		if i%10 == 0 {
			entity = testFolder(r.IntN(7))
		} else {
			entity = docRef(fmt.Sprintf("d%d", r.IntN(docs)))
		}
		grantee := model.User(testUser(r.IntN(50))) // u40..u49 are in no group
		if r.IntN(4) == 0 {
			grantee = model.Department(fmt.Sprintf("dept%d", r.IntN(8)))
		}
		effect := model.EffectAllow
		if r.IntN(20) == 0 {
			effect = model.EffectDeny
		}
		g := &model.Grant{ID: fmt.Sprintf("g%05d", i), Org: org, Entity: entity, Grantee: grantee, Level: model.Level(1 + r.IntN(3)), Effect: effect, CreatedAt: now, UpdatedAt: now}
		grants = append(grants, g)
		first.Grants = append(first.Grants, store.GrantChange{Grant: g})
	}
	for _, g := range grants {
		if g.Entity.Type == "folder" && g.Entity.ID == "f3" || g.Entity.ID < "d2" {
			second.Grants = append(second.Grants, store.GrantChange{Grant: g, Deleted: true})
		}
	}

	compareCommits(t, []store.ChangeSet{first, second}, docs, userStride)
}

// compareCommits applies commits as they are and one change at a time, and
// compares every user's decision (every userStride-th user, and one
// unknown) on every document and folder, and Check with it.
func compareCommits(t *testing.T, commits []store.ChangeSet, docs, userStride int) {
	t.Helper()
	large, small := (*resolve.Index)(nil), (*resolve.Index)(nil)
	for _, cs := range commits {
		large = large.Apply(cs)
		for _, m := range cs.Memberships {
			small = small.Apply(store.ChangeSet{Memberships: []store.MembershipChange{m}})
		}
		for _, g := range cs.Grants {
			small = small.Apply(store.ChangeSet{Grants: []store.GrantChange{g}})
		}
		for _, l := range cs.Links {
			small = small.Apply(store.ChangeSet{Links: []store.LinkChange{l}})
		}
	}
	assert.Equal(t, small.Grants(), large.Grants())
	at := now.UnixNano()
	for u := 0; u <= 50; u += userStride { // u50 is unknown
		for e := range docs + 7 {
			entity := docRef(fmt.Sprintf("d%d", e))
			if e >= docs {
				entity = testFolder(e - docs)
			}
			user := testUser(u)
			want, got := small.Resolve(org, user, entity, at), large.Resolve(org, user, entity, at)
			if !assert.Equal(t, want, got, "%s on %s", user, entity) {
				return
			}
			for _, level := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
				// Check reads the check arrays, Resolve the entries.
				assert.Equal(t, got.Level >= level, large.Check(org, user, entity, level, at), "%s %s on %s", user, level, entity)
				assert.Equal(t, want.Level >= level, small.Check(org, user, entity, level, at), "%s %s on %s", user, level, entity)
			}
		}
	}
}

func testFolder(i int) model.EntityRef {
	return model.EntityRef{Type: "folder", ID: fmt.Sprintf("f%d", i)}
}

func testUser(i int) string { return fmt.Sprintf("u%d", i) }

// twoProcs makes the test run with at least two processors, so that the
// paths that split a large commit between two goroutines run even where
// the machine has one core.
func twoProcs(t *testing.T) {
	if old := runtime.GOMAXPROCS(0); old < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
}

// TestLargeCommitsOnAFullIndex applies, on top of a bulk load, a second
// large commit that revokes every grant of some filed documents (emptying
// them) and grants on documents and folders that hold grants already (so
// that records are copied, not made), then a commit of folder grants only,
// which rebuilds the check arrays of records the revision does not own
// yet; as large commits and one change at a time.
func TestLargeCommitsOnAFullIndex(t *testing.T) {
	twoProcs(t)
	const docs = 6300
	r := rand.New(rand.NewPCG(3, 4))
	grant := func(id int, entity model.EntityRef) *model.Grant {
		grantee := model.User(testUser(r.IntN(50)))
		if r.IntN(4) == 0 {
			grantee = model.Department(fmt.Sprintf("dept%d", r.IntN(8)))
		}
		effect := model.EffectAllow
		if r.IntN(20) == 0 {
			effect = model.EffectDeny
		}
		return &model.Grant{ID: fmt.Sprintf("g%06d", id), Org: org, Entity: entity, Grantee: grantee,
			Level: model.Level(1 + r.IntN(3)), Effect: effect, CreatedAt: now, UpdatedAt: now}
	}
	var load, revise, folders store.ChangeSet
	for u := range 40 {
		load.Memberships = append(load.Memberships, store.MembershipChange{Org: org, Membership: model.Membership{
			Member: model.User(testUser(u)), Group: model.Department(fmt.Sprintf("dept%d", u%6)),
		}})
	}
	for d := 0; d < docs; d += 3 {
		load.Links = append(load.Links, store.LinkChange{Org: org, Link: model.EntityLink{Child: docRef(fmt.Sprintf("d%d", d)), Parent: testFolder(d % 7)}})
	}
	var loaded []*model.Grant
	for i := range 12000 {
		g := grant(i, docRef(fmt.Sprintf("d%d", r.IntN(docs))))
		loaded = append(loaded, g)
		load.Grants = append(load.Grants, store.GrantChange{Grant: g})
	}
	for _, g := range loaded {
		if g.Entity.ID < "d3" {
			revise.Grants = append(revise.Grants, store.GrantChange{Grant: g, Deleted: true})
		}
	}
	for i := range 7000 {
		entity := docRef(fmt.Sprintf("d%d", r.IntN(docs)))
		if i%50 == 0 {
			entity = testFolder(r.IntN(7))
		}
		revise.Grants = append(revise.Grants, store.GrantChange{Grant: grant(100000+i, entity)})
	}
	require.GreaterOrEqual(t, len(revise.Grants), 8192, "the second commit takes the two-goroutine path")
	for i := range 20 {
		folders.Grants = append(folders.Grants, store.GrantChange{Grant: grant(200000+i, testFolder(i%7))})
	}
	compareCommits(t, []store.ChangeSet{load, revise, folders}, docs, 7)
}

// TestCommitDeletingItsOwnNewGrants applies one commit that creates grants
// to subjects the index does not know yet and then deletes half of them
// (each delete must find the subject an earlier change of the same commit
// added): only the grants not deleted remain, in a small commit and in one
// large enough to take the paths of a bulk load.
func TestCommitDeletingItsOwnNewGrants(t *testing.T) {
	for _, n := range []int{10, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var cs store.ChangeSet
			var grants []*model.Grant
			for i := range n {
				g := &model.Grant{
					ID: fmt.Sprintf("g%05d", i), Org: org, Entity: docRef(fmt.Sprintf("d%d", i%50)),
					Grantee: model.User(fmt.Sprintf("new%d", i)), Level: model.LevelRead, Effect: model.EffectAllow,
					CreatedAt: now, UpdatedAt: now,
				}
				grants = append(grants, g)
				cs.Grants = append(cs.Grants, store.GrantChange{Grant: g})
			}
			for i := 0; i < n; i += 2 {
				cs.Grants = append(cs.Grants, store.GrantChange{Grant: grants[i], Deleted: true})
			}
			ix := (*resolve.Index)(nil).Apply(cs)
			assert.Equal(t, n/2, ix.Grants())
			at := now.UnixNano()
			for i, g := range grants {
				assert.Equal(t, i%2 == 1, ix.Check(org, g.Grantee.ID, g.Entity, model.LevelRead, at), "%s on %s", g.Grantee.ID, g.Entity)
			}
		})
	}
}
