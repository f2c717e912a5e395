package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// The window's tests are white-box: they feed it change sets directly, as
// publish does, and compare what it picks with a list of every commit.

// pick reads org's commits after after up to through with a fresh cursor,
// as Changes does.
func pick(w *changeWindow, org string, after, through uint64, limit int) ([]*orgPart, bool) {
	return readOn(w, &windowCursor{org: org, after: after}, through, limit)
}

// readOn reads on from c, as a watcher does at each wake-up.
func readOn(w *changeWindow, c *windowCursor, through uint64, limit int) ([]*orgPart, bool) {
	var got []*orgPart
	_, ok := w.read(c, through, limit, func(p *orgPart) bool {
		got = append(got, p)
		return true
	})
	return got, ok
}

func windowGrant(org, id string) *model.Grant {
	return &model.Grant{ID: id, Org: org, Entity: model.EntityRef{Type: "doc", ID: id}, Grantee: model.User("u1"), Level: model.LevelRead}
}

// The window answers like the naive list of all commits, trimmed to its
// retention: the same commits of an organisation, and ErrCompacted's
// condition exactly when a commit of it after the revision asked for was
// dropped — across wrap-arounds of the ring, compactions of the
// organisations' lists, multi-organisation commits and job-only commits.
func TestChangeWindowMatchesAllCommits(t *testing.T) {
	for _, retention := range []int{1, 3, 70, 200} {
		t.Run(fmt.Sprint(retention), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(retention), 7))
			orgs := []string{"a", "b", "c"}
			w := changeWindow{retention: retention}
			type commit struct {
				rev  uint64
				orgs map[string]bool
			}
			var all []commit
			cursors := map[string]*windowCursor{}
			for _, org := range orgs {
				cursors[org] = &windowCursor{org: org}
			}
			for rev := uint64(1); rev <= 600; rev++ {
				var cs store.ChangeSet
				cs.Revision = rev
				touched := map[string]bool{}
				for _, org := range orgs {
					if rng.IntN(3) == 0 {
						touched[org] = true
						cs.Grants = append(cs.Grants, store.GrantChange{Grant: windowGrant(org, fmt.Sprint(rev))})
					}
				}
				w.add(cs, time.Unix(int64(rev), 0))
				all = append(all, commit{rev, touched})

				// want is the naive answer: org's kept commits after
				// after, and whether none of them after it was dropped.
				want := func(org string, after uint64) ([]uint64, bool) {
					var revs []uint64
					for i, c := range all {
						if c.orgs[org] && c.rev > after {
							if i < len(all)-retention {
								return nil, false
							}
							revs = append(revs, c.rev)
						}
					}
					return revs, true
				}
				check := func(org string, after uint64, picked []*orgPart, ok bool, what string) {
					wantRevs, wantOK := want(org, after)
					require.Equal(t, wantOK, ok, "%s: org %s after %d at revision %d", what, org, after, rev)
					if !ok {
						return
					}
					var got []uint64
					for _, p := range picked {
						got = append(got, p.rev)
						require.Equal(t, org, p.org)
						require.Len(t, p.grants, 1)
						assert.Equal(t, time.Unix(int64(p.rev), 0), p.at)
					}
					require.Equal(t, wantRevs, got, "%s: org %s after %d at revision %d", what, org, after, rev)
				}
				for _, org := range orgs {
					after := uint64(rng.IntN(int(rev) + 2))
					picked, ok := pick(&w, org, after, rev, 1000)
					check(org, after, picked, ok, "fresh")

					// A watcher's cursor reads on from where it was, now
					// and then, following the links across evictions.
					c := cursors[org]
					if rng.IntN(4) != 0 {
						continue
					}
					from := c.after
					picked, ok = readOn(&w, c, rev, 1000)
					check(org, from, picked, ok, "cursor")
					if !ok {
						*c = windowCursor{org: org, after: rev} // read afresh
					} else {
						require.Equal(t, rev, c.after)
					}
				}
			}
		})
	}
}

// A window that was not given the revisions up to the published one (an
// engine opened from disk, before its first commit) vouches for nothing
// before them; a gap in the revisions it is given resets it.
func TestChangeWindowFloor(t *testing.T) {
	var w changeWindow
	_, ok := pick(&w, "a", 0, 40, 10)
	assert.False(t, ok, "revisions 1..40 were never seen")
	picked, ok := pick(&w, "a", 40, 40, 10)
	assert.True(t, ok)
	assert.Empty(t, picked)

	w.add(store.ChangeSet{Revision: 41, Grants: []store.GrantChange{{Grant: windowGrant("a", "1")}}}, time.Time{})
	_, ok = pick(&w, "a", 39, 41, 10)
	assert.False(t, ok)
	picked, ok = pick(&w, "a", 40, 41, 10)
	require.True(t, ok)
	require.Len(t, picked, 1)

	w.add(store.ChangeSet{Revision: 50}, time.Time{})
	_, ok = pick(&w, "a", 40, 50, 10)
	assert.False(t, ok, "revisions 42..49 were skipped")
	picked, ok = pick(&w, "a", 49, 50, 10)
	assert.True(t, ok)
	assert.Empty(t, picked)
}

// Only published revisions are picked: through bounds the read.
func TestChangeWindowStopsAtThrough(t *testing.T) {
	var w changeWindow
	for rev := uint64(1); rev <= 3; rev++ {
		w.add(store.ChangeSet{Revision: rev, Grants: []store.GrantChange{{Grant: windowGrant("a", fmt.Sprint(rev))}}}, time.Time{})
	}
	picked, ok := pick(&w, "a", 0, 2, 10)
	require.True(t, ok)
	assert.Len(t, picked, 2)
}

// A commit lists each grant and membership once, in its state after the
// commit, in the order of their last changes; a write that replaced another
// id under its key deletes that id just before it.
func TestFeedChangeKeepsTheLastChangeOfEach(t *testing.T) {
	g1, g2 := windowGrant("a", "1"), windowGrant("a", "2")
	g1b := *g1
	g1b.Level = model.LevelAdmin
	m := model.Membership{Member: model.User("u1"), Group: model.Role("r1")}
	part := orgPart{
		org: "a",
		grants: []store.GrantChange{
			{Grant: g1},
			{Grant: g2},
			{Grant: &g1b, Replaced: g1},
			{Grant: g2, Deleted: true},
		},
		memberships: []store.MembershipChange{{Org: "a", Membership: m}, {Org: "a", Membership: m, Deleted: true}},
	}
	part.rev = 9
	ch := part.feedChange()
	assert.Equal(t, []model.GrantChange{
		{Op: model.ChangeWrite, Grant: g1b},
		{Op: model.ChangeDelete, Grant: *g2},
	}, ch.Grants)
	assert.Equal(t, []model.MembershipChange{{Op: model.ChangeDelete, Membership: m}}, ch.Memberships)

	g3 := windowGrant("a", "3")
	g3.Entity, g3.Grantee = g1.Entity, g1.Grantee
	part2 := orgPart{org: "a", grants: []store.GrantChange{{Grant: g3, Replaced: g1}}}
	assert.Equal(t, []model.GrantChange{
		{Op: model.ChangeDelete, Grant: *g1},
		{Op: model.ChangeWrite, Grant: *g3},
	}, part2.feedChange().Grants)
}

// The documented default is the one in force (badger's drifted).
func TestChangeRetentionDocMatchesDefault(t *testing.T) {
	e, err := Open()
	require.NoError(t, err)
	defer e.Close()
	assert.Equal(t, DefaultChangeRetention, e.changes.limit())
	assert.Contains(t, optionDoc(t, "WithChangeRetention"),
		fmt.Sprintf("Default: %d commits (DefaultChangeRetention)", DefaultChangeRetention))

	e2, err := Open(WithChangeRetention(-3))
	require.NoError(t, err)
	defer e2.Close()
	assert.Equal(t, DefaultChangeRetention, e2.changes.limit(), "a negative n is the default")
}

// An evicted part is marked and unlinked from the next one, so that a
// reader stuck on it pins that part alone, and a cursor on it seeks afresh:
// on to the next when nothing of its organisation was lost, ErrCompacted
// when something was.
func TestChangeWindowCutsEvictedParts(t *testing.T) {
	w := changeWindow{retention: 2}
	add := func(rev uint64, org string) {
		w.add(store.ChangeSet{Revision: rev, Grants: []store.GrantChange{{Grant: windowGrant(org, fmt.Sprint(rev))}}}, time.Time{})
	}
	add(1, "a")
	kept := &windowCursor{org: "a"}
	lost := &windowCursor{org: "a"}
	got, ok := readOn(&w, kept, 1, 10)
	require.True(t, ok)
	require.Len(t, got, 1)
	first := got[0]
	add(2, "b")
	add(3, "a") // evicts 1: kept's place
	assert.True(t, first.evicted.Load())
	assert.Nil(t, first.next.Load(), "an evicted part links to nothing")

	got, ok = readOn(&w, kept, 3, 10)
	require.True(t, ok, "nothing of a after 1 was lost")
	require.Len(t, got, 1)
	assert.Equal(t, uint64(3), got[0].rev)

	_, ok = readOn(&w, lost, 3, 10)
	assert.False(t, ok, "a's commit 1 left before this cursor read it")
}

// A commit's shared Change lives while the commit is among the newest
// sharedSpan: past them the writer drops it, and a later reader makes an
// equal one again, which it keeps for the readers after it.
func TestChangeWindowUnsharesOldChanges(t *testing.T) {
	w := changeWindow{retention: 2 * sharedSpan}
	add := func(rev uint64) {
		w.add(store.ChangeSet{Revision: rev, Grants: []store.GrantChange{{Grant: windowGrant("a", fmt.Sprint(rev))}}}, time.Time{})
	}
	add(1)
	add(2)
	read, ok := pick(&w, "a", 0, 2, 10)
	require.True(t, ok)
	require.Len(t, read, 2)
	first, second := *read[0].feedChange(), *read[1].feedChange()
	require.NotNil(t, read[0].change.Load(), "made once, kept for the next readers")

	for rev := uint64(3); rev <= sharedSpan+1; rev++ {
		add(rev)
	}
	assert.Nil(t, read[0].change.Load(), "commit 1 is sharedSpan commits behind the newest")
	assert.NotNil(t, read[1].change.Load(), "commit 2 is not yet")
	assert.Equal(t, first, *read[0].feedChange(), "made again alike")
	assert.NotNil(t, read[0].change.Load(), "and kept again: its readers are behind")
	assert.Equal(t, second, *read[1].feedChange())
}
