package store

import (
	"slices"
	"strings"

	"github.com/google/btree"
	"github.com/grantdb/grantdb/model"
)

// sideIndexes are every lookup the store keeps beside memdb rather than in
// it: the grants' (grantIndexes), memberships by group and entity links by
// parent. Each is a google/btree of pointers to immutable rows, cloned per
// write transaction and per published snapshot, so they are exactly as
// versioned as memdb's tables.
//
// Memberships by group left memdb for the reason grants by grantee did
// (docs/design.md §4.2): a second radix index on a table makes every insert
// land at a random place of one of the two trees, whatever order the batch
// comes in, and a radix insert copies its whole path (a node and a channel
// per level) once memdb's cache of copied nodes overflows. A batch inserted
// in member order walks memdb's tree once. Links by parent left memdb for
// the same reason.
type sideIndexes struct {
	grantIndexes
	membersByGroup *groupIndex
	// The entity links, by child (their key) and by parent: they have no
	// memdb table (link_keys.go).
	linksByChild  *btree.BTreeG[*linkRow]
	linksByParent *btree.BTreeG[*linkRow]
}

// grantIndexDegree is the degree of the side btrees.
const grantIndexDegree = 32

func newSideIndexes() sideIndexes {
	return sideIndexes{
		grantIndexes:   newGrantIndexes(),
		membersByGroup: &groupIndex{tree: btree.NewG(grantIndexDegree, lessGroupRow)},
		linksByChild:   btree.NewG(grantIndexDegree, lessLinkKeys),
		linksByParent:  btree.NewG(grantIndexDegree, lessByParent),
	}
}

// clone returns a copy that shares nodes until either side writes.
func (x sideIndexes) clone() sideIndexes {
	return sideIndexes{
		grantIndexes:   x.grantIndexes.clone(),
		membersByGroup: &groupIndex{tree: x.membersByGroup.tree.Clone()},
		linksByChild:   x.linksByChild.Clone(),
		linksByParent:  x.linksByParent.Clone(),
	}
}

// groupIndex is memberships by group: one btree row per group, holding its
// memberships in member order, as memdb holds one row per member. A batch
// of memberships costs a btree insert per group it touches, not per
// membership, and comparisons of whole groups rather than of memberships.
// A version copies a group's row the first time it changes it (owned),
// so that adding one member to a group costs a copy of its slice: cheap
// for the groups of an organisation, linear in the size of a huge one.
type groupIndex struct {
	tree *btree.BTreeG[*groupRow]
	// owned are the rows this version made or copied, which it may change
	// in place; nil until it writes.
	owned map[*groupRow]bool
}

// groupRow is one group's memberships, by member (type, then id).
type groupRow struct {
	org   string
	group model.Subject
	rows  []*membershipRow
}

func lessGroupRow(a, b *groupRow) bool {
	if a.org != b.org {
		return a.org < b.org
	}
	return cmpSubject(a.group, b.group) < 0
}

// get returns the row of group in org, or nil.
func (g *groupIndex) get(org string, group model.Subject) *groupRow {
	row, _ := g.tree.Get(&groupRow{org: org, group: group})
	return row
}

// own returns this version's own row of group in org, copied or made (and
// put in the tree) the first time it is asked for.
func (g *groupIndex) own(org string, group model.Subject) *groupRow {
	stored := g.get(org, group)
	if stored != nil && g.owned[stored] {
		return stored
	}
	row := &groupRow{org: org, group: group}
	if stored != nil {
		row.rows = slices.Clone(stored.rows)
	}
	g.tree.ReplaceOrInsert(row)
	if g.owned == nil {
		g.owned = make(map[*groupRow]bool)
	}
	g.owned[row] = true
	return row
}

// put adds m, not stored yet, to its group.
func (g *groupIndex) put(m *membershipRow) {
	row := g.own(m.org(), m.m.Group)
	i, _ := slices.BinarySearchFunc(row.rows, m, cmpMembers)
	row.rows = slices.Insert(row.rows, i, m)
}

// remove takes m, stored, out of its group, and the group's row out of the
// tree when it was its last member.
func (g *groupIndex) remove(m *membershipRow) {
	row := g.own(m.org(), m.m.Group)
	if i, found := slices.BinarySearchFunc(row.rows, m, cmpMembers); found {
		row.rows = slices.Delete(row.rows, i, i+1)
	}
	if len(row.rows) == 0 {
		g.tree.Delete(row)
		delete(g.owned, row)
	}
}

// putMembers adds rows, none of them stored yet, to their groups' rows,
// each group's in one merge. Rows in key order (as AddMemberships gives
// them) are in member order within each group already; others are put in
// it first. The groups are found by hashing, so that only the distinct
// groups are ordered.
func (x sideIndexes) putMembers(rows []*membershipRow) {
	if !slices.IsSortedFunc(rows, cmpMembershipKeys) {
		slices.SortFunc(rows, cmpMembershipKeys)
	}
	type groupOf struct {
		org   string
		group model.Subject
	}
	bucket, groups := bucketBy(rows, func(r *membershipRow) groupOf { return groupOf{r.org(), r.m.Group} }, 0)
	order := identity(len(groups))
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(groups[a].org, groups[b].org); c != 0 {
			return c
		}
		return cmpSubject(groups[a].group, groups[b].group)
	})
	sorted := scatter(rows, bucket, order)
	g := x.membersByGroup
	start := 0
	for _, id := range order {
		end := start
		for end < len(sorted) && sorted[end].org() == groups[id].org && sorted[end].m.Group == groups[id].group {
			end++
		}
		row := g.own(groups[id].org, groups[id].group)
		row.rows = mergeByMember(row.rows, sorted[start:end])
		start = end
	}
}

// mergeByMember returns the memberships of a and b, each in member order
// and none in both, in one slice in member order.
func mergeByMember(a, b []*membershipRow) []*membershipRow {
	if len(a) == 0 {
		return slices.Clone(b)
	}
	merged := make([]*membershipRow, 0, len(a)+len(b))
	i := 0
	for _, m := range b {
		for i < len(a) && cmpMembers(a[i], m) < 0 {
			merged = append(merged, a[i])
			i++
		}
		merged = append(merged, m)
	}
	return append(merged, a[i:]...)
}

func cmpMembershipKeys(a, b *membershipRow) int { return strings.Compare(a.key, b.key) }

// cmpMembers orders the memberships of one group by member.
func cmpMembers(a, b *membershipRow) int { return cmpSubject(a.m.Member, b.m.Member) }

// cmpSubject orders subjects by type, then id, as their fields in a key.
func cmpSubject(a, b model.Subject) int {
	if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
