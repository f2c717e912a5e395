package engine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// randomPart makes n random changes of each kind in org, over few enough
// ids that many repeat: writes, deletes, writes over another id and over
// the same id, in any order.
func randomPart(rng *rand.Rand, org string, n int) ([]store.GrantChange, []store.MembershipChange, []store.LinkChange) {
	grants := make([]store.GrantChange, n)
	for i := range grants {
		g := windowGrant(org, fmt.Sprint(rng.IntN(n/2)))
		g.Level = model.Level(1 + rng.IntN(3))
		gc := store.GrantChange{Grant: g, Deleted: rng.IntN(5) == 0}
		if !gc.Deleted && rng.IntN(4) == 0 {
			gc.Replaced = windowGrant(org, fmt.Sprint(rng.IntN(n/2)))
		}
		grants[i] = gc
	}
	memberships := make([]store.MembershipChange, n)
	for i := range memberships {
		memberships[i] = store.MembershipChange{
			Org:     org,
			Deleted: rng.IntN(5) == 0,
			Membership: model.Membership{
				Member: model.User(fmt.Sprint("u", rng.IntN(n/4))),
				Group:  model.Subject{Type: []model.SubjectType{model.SubjectRole, model.SubjectDepartment}[rng.IntN(2)], ID: fmt.Sprint("g", rng.IntN(20))},
			},
		}
	}
	links := make([]store.LinkChange, n)
	for i := range links {
		links[i] = store.LinkChange{
			Org:     org,
			Deleted: rng.IntN(5) == 0,
			Link:    model.EntityLink{Child: model.EntityRef{Type: "doc", ID: fmt.Sprint(rng.IntN(n / 4))}, Parent: model.EntityRef{Type: "folder", ID: fmt.Sprint(rng.IntN(30))}},
		}
	}
	return grants, memberships, links
}

// A packed part reads exactly as the change set it was packed from.
func TestPackedChangesReadAsTheChangeSet(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 3))
			grants, memberships, links := randomPart(rng, "a", 400+rng.IntN(2000))
			// Some parts lack a kind.
			switch seed % 4 {
			case 1:
				grants = nil
			case 2:
				memberships = nil
			case 3:
				links = nil
			}
			if seed%2 == 0 {
				// Listed by group, as a call adding members to a group is.
				slices.SortStableFunc(memberships, func(a, b store.MembershipChange) int {
					return strings.Compare(a.Membership.Group.ID, b.Membership.Group.ID)
				})
			}
			plain := orgPart{org: "a", rev: 7, grants: grants, memberships: memberships, links: links}
			packed := orgPart{org: "a", rev: 7, packed: packChanges(grants, memberships, links)}
			assert.Equal(t, len(grants)+len(memberships)+len(links), packed.packed.items())
			want := *plain.makeChange()
			got := *packed.feedChange()
			assert.Equal(t, want, got)
			assert.Equal(t, want, *packed.feedChange(), "read again")
			assert.Nil(t, packed.change.Load(), "a large part's Change is made for each read")
		})
	}
}

// The window packs a part of more than sharedChangeItems changes, and keeps
// a smaller one's slices of the change set.
func TestChangeWindowPacksLargeParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := changeWindow{}
	small, _, _ := randomPart(rng, "a", sharedChangeItems)
	big, bigMembers, _ := randomPart(rng, "b", sharedChangeItems)
	cs := store.ChangeSet{Revision: 1, Grants: append(small, big...), Memberships: bigMembers[:1]}
	w.add(cs, time.Time{})
	parts := w.ring[0].parts
	require.Len(t, parts, 2)
	assert.Nil(t, parts[0].packed, "a's part holds sharedChangeItems changes")
	assert.Len(t, parts[0].grants, sharedChangeItems)
	require.NotNil(t, parts[1].packed, "b's part holds one more")
	assert.Nil(t, parts[1].grants)
	assert.Nil(t, parts[1].memberships)
	assert.Equal(t, sharedChangeItems+1, parts[1].packed.items())
}

// Once the window has taken a large commit, nothing of it holds the change
// set's records: they are garbage as soon as the store's other readers are
// done with them.
func TestChangeWindowLetsALargeChangeSetGo(t *testing.T) {
	w := changeWindow{}
	rng := rand.New(rand.NewPCG(2, 2))
	held := func() (weak.Pointer[store.GrantChange], weak.Pointer[store.MembershipChange], weak.Pointer[store.LinkChange]) {
		grants, memberships, links := randomPart(rng, "a", 3000)
		w.add(store.ChangeSet{Revision: 1, Grants: grants, Memberships: memberships, Links: links}, time.Time{})
		return weak.Make(&grants[0]), weak.Make(&memberships[0]), weak.Make(&links[0])
	}
	g, m, l := held()
	runtime.GC()
	assert.Nil(t, g.Value(), "grant changes")
	assert.Nil(t, m.Value(), "membership changes")
	assert.Nil(t, l.Value(), "link changes")
	got, ok := pick(&w, "a", 0, 1, 10)
	require.True(t, ok)
	require.Len(t, got, 1)
	assert.NotEmpty(t, got[0].feedChange().Memberships)
}

// A window holding a bulk load (the report's shape: each user in a few
// groups, many grants a row of the store's) costs it a few bytes a change
// beyond the rows, however large the load: measured on the live heap.
func TestChangeWindowBytesPerLargeChangeStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap of a 100,000-change load")
	}
	const users, perUser, groups, grantCount = 10_000, 6, 500, 50_000
	rows := make([]*model.Grant, grantCount)
	for i := range rows {
		rows[i] = windowGrant("a", fmt.Sprint(i))
	}
	memberships := make([]model.Membership, 0, users*perUser)
	for u := range users {
		member := model.User(fmt.Sprint("user-", u))
		for k := range perUser {
			memberships = append(memberships, model.Membership{Member: member, Group: model.Role(fmt.Sprint("group-", (u*7+k)%groups))})
		}
	}
	w := changeWindow{}
	load := func(rev uint64) {
		cs := store.ChangeSet{Revision: rev, Grants: make([]store.GrantChange, len(rows)), Memberships: make([]store.MembershipChange, len(memberships))}
		for i, g := range rows {
			cs.Grants[i] = store.GrantChange{Grant: g}
		}
		for i, m := range memberships {
			cs.Memberships[i] = store.MembershipChange{Org: "a", Membership: m}
		}
		w.add(cs, time.Time{})
	}
	before := liveHeapBytes()
	load(1)
	load(2)
	grew := liveHeapBytes() - before
	changes := 2 * (len(rows) + len(memberships))
	perChange := float64(grew) / float64(changes)
	t.Logf("window: %d bytes for %d changes (%.1f a change)", grew, changes, perChange)
	// Packed: 8 bytes a change and the part's table of subjects (about 3
	// bytes a membership here); the change set's own records are 24 bytes
	// a grant and 88 a membership.
	assert.Less(t, perChange, 16.0)
	runtime.KeepAlive(&w)
	runtime.KeepAlive(rows)
	runtime.KeepAlive(memberships)
}

func liveHeapBytes() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
