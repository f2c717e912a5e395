package store

import (
	"slices"
	"strings"

	"github.com/google/btree"
	"github.com/grantdb/grantdb/model"
)

// sideIndexes are every lookup the store keeps beside memdb rather than in
// it: the grants' (grantIndexes), memberships by group and entity links by
// parent. Each is a
// google/btree of pointers to immutable rows, cloned per write transaction
// and per published snapshot, so they are exactly as versioned as memdb's
// tables.
//
// Memberships by group left memdb for the reason grants by grantee did
// (docs/design.md §4.2): a second radix index on a table makes every insert
// land at a random place of one of the two trees, whatever order the batch
// comes in, and a radix insert copies its whole path (a node and a channel
// per level) once memdb's cache of copied nodes overflows. A batch inserted
// in member order walks memdb's tree once, and its rows sorted by group walk
// the btree once. Links by parent left memdb for the same reason.
type sideIndexes struct {
	grantIndexes
	membersByGroup *btree.BTreeG[*membershipRow]
	linksByParent  *btree.BTreeG[*linkRow]
}

func newSideIndexes() sideIndexes {
	return sideIndexes{
		grantIndexes:   newGrantIndexes(),
		membersByGroup: btree.NewG(grantIndexDegree, lessByGroup),
		linksByParent:  btree.NewG(grantIndexDegree, lessByParent),
	}
}

// clone returns a copy that shares nodes until either side writes.
func (x sideIndexes) clone() sideIndexes {
	return sideIndexes{
		grantIndexes:   x.grantIndexes.clone(),
		membersByGroup: x.membersByGroup.Clone(),
		linksByParent:  x.linksByParent.Clone(),
	}
}

// putMembers adds rows, none of them stored yet, to the group btree, in
// group order so that consecutive inserts touch the same leaves. It
// reorders rows: into key (member) order, unless they come in it, then
// stably by group, which leaves each group's members in order.
func (x sideIndexes) putMembers(rows []*membershipRow) {
	if !slices.IsSortedFunc(rows, cmpMembershipKeys) {
		slices.SortFunc(rows, cmpMembershipKeys)
	}
	sortByGroup(rows, membershipOrg, groupWords, cmpGroups)
	for _, row := range rows {
		x.membersByGroup.ReplaceOrInsert(row)
	}
}

func cmpMembershipKeys(a, b *membershipRow) int { return strings.Compare(a.key, b.key) }

func membershipOrg(r *membershipRow) string { return r.org }

// groupWords lead the group order within an organisation.
func groupWords(r *membershipRow) (uint64, uint64, bool, bool) { return subjectWords(r.m.Group) }

func cmpGroups(a, b *membershipRow) int { return cmpSubject(a.m.Group, b.m.Group) }

func lessByGroup(a, b *membershipRow) bool { return cmpByGroup(a, b) < 0 }

// cmpByGroup orders memberships by org, group type, group id, member type,
// member id.
func cmpByGroup(a, b *membershipRow) int {
	if c := strings.Compare(a.org, b.org); c != 0 {
		return c
	}
	if c := cmpSubject(a.m.Group, b.m.Group); c != 0 {
		return c
	}
	return cmpSubject(a.m.Member, b.m.Member)
}

// cmpSubject orders subjects by type, then id, as their fields in a key.
func cmpSubject(a, b model.Subject) int {
	if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
