package engine

import (
	"slices"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// packedChanges is a large part's changes (more than sharedChangeItems) as
// the window keeps them: a pointer per grant, two 4-byte numbers per
// membership and per link into tables of the part's distinct subjects and
// entities, and a bit per item for the deletes. The change set's own
// records cost 24 bytes a grant and 88 a membership or link, which a bulk
// load would keep alive beside the store's rows for as long as the commit
// is retained (8 MB of the report's medium load); packed, the part costs
// 8 bytes an item and 32 a distinct subject or entity. The strings are the
// change set's, shared, never copied. Reading a packed part builds its
// model.Change afresh, as every read of a large part does anyway.
type packedChanges struct {
	// grants are the rows written or deleted, in commit order.
	grants       []*model.Grant
	grantDeletes bitSet
	// replaced maps a write's position in grants to the row of another id
	// it replaced under its key (see replacesAnother); nil when none did.
	replaced map[int32]*model.Grant

	// memberships are (member, group) pairs, links (child, parent) pairs.
	memberships packedPairs[model.Subject]
	links       packedPairs[model.EntityRef]
}

// packedPairs is a part's memberships or links, in commit order: two
// positions a change into a table of the part's distinct values
// (pairTable), and a bit a delete.
type packedPairs[T comparable] struct {
	values  []T
	pairs   []uint32
	deletes bitSet
}

// packPairs packs n changes, the pair and deletion of the i-th given by
// at.
func packPairs[T comparable](n int, at func(i int) (a, b T, deleted bool)) packedPairs[T] {
	var p packedPairs[T]
	if n == 0 {
		return p
	}
	p.pairs = make([]uint32, 2*n)
	t := newPairTable[T]()
	for i := range n {
		a, b, deleted := at(i)
		p.pairs[2*i], p.pairs[2*i+1] = t.add(a, b)
		if deleted {
			p.deletes.set(i, n)
		}
	}
	p.values = slices.Clone(t.values) // no room to spare
	return p
}

// len is how many changes p holds.
func (p *packedPairs[T]) len() int { return len(p.pairs) / 2 }

// at returns the pair of the i-th change and whether it is a delete.
func (p *packedPairs[T]) at(i int) (a, b T, deleted bool) {
	return p.values[p.pairs[2*i]], p.values[p.pairs[2*i+1]], p.deletes.has(i)
}

// packChanges packs one part's changes.
func packChanges(grants []store.GrantChange, memberships []store.MembershipChange, links []store.LinkChange) *packedChanges {
	pc := &packedChanges{}
	if len(grants) > 0 {
		pc.grants = make([]*model.Grant, len(grants))
		for i := range grants {
			gc := &grants[i]
			pc.grants[i] = gc.Grant
			if gc.Deleted {
				pc.grantDeletes.set(i, len(grants))
			}
			if replacesAnother(gc) {
				if pc.replaced == nil {
					pc.replaced = make(map[int32]*model.Grant)
				}
				pc.replaced[int32(i)] = gc.Replaced
			}
		}
	}
	pc.memberships = packPairs(len(memberships), func(i int) (model.Subject, model.Subject, bool) {
		mc := &memberships[i]
		return mc.Membership.Member, mc.Membership.Group, mc.Deleted
	})
	pc.links = packPairs(len(links), func(i int) (model.EntityRef, model.EntityRef, bool) {
		lc := &links[i]
		return lc.Link.Child, lc.Link.Parent, lc.Deleted
	})
	return pc
}

// pairTable makes the table of a part's (member, group) or (child,
// parent) pairs. The second of a pair is one of few (a bulk load's groups,
// its folders) and is looked up in a map, unless it is the pair before's;
// the first is one of many, listed together (a member's groups, an
// entity's parents), and is taken from the pair before when equal, else
// added again: hashing it would cost more than a repeat, and most are not
// repeated at all.
type pairTable[T comparable] struct {
	values []T
	second map[T]uint32
	// first is the position of the last pair's first, last its second's
	// (a call adding many members to one group repeats it).
	first, last uint32
}

func newPairTable[T comparable]() *pairTable[T] {
	return &pairTable[T]{second: make(map[T]uint32)}
}

// add returns the positions of a and b in the table.
func (t *pairTable[T]) add(a, b T) (uint32, uint32) {
	if n := len(t.values); n == 0 || t.values[t.first] != a {
		t.first = uint32(n)
		t.values = append(t.values, a)
	}
	if len(t.second) > 0 && t.values[t.last] == b {
		return t.first, t.last
	}
	i, ok := t.second[b]
	if !ok {
		i = uint32(len(t.values))
		t.values = append(t.values, b)
		t.second[b] = i
	}
	t.last = i
	return t.first, i
}

// items is how many changes the part holds.
func (pc *packedChanges) items() int {
	return len(pc.grants) + pc.memberships.len() + pc.links.len()
}

// feedGrants is feedGrants of the packed grants.
func (pc *packedChanges) feedGrants() []model.GrantChange {
	all := make([]model.GrantChange, 0, len(pc.grants)+len(pc.replaced))
	for i, g := range pc.grants {
		all = appendGrantChange(all, g, pc.replaced[int32(i)], pc.grantDeletes.has(i))
	}
	return lastOfEach(all, func(c *model.GrantChange) string { return c.Grant.ID })
}

// feedMemberships is feedMemberships of the packed memberships.
func (pc *packedChanges) feedMemberships() []model.MembershipChange {
	all := make([]model.MembershipChange, pc.memberships.len())
	for i := range all {
		member, group, deleted := pc.memberships.at(i)
		all[i] = model.MembershipChange{Op: changeOp(deleted), Membership: model.Membership{Member: member, Group: group}}
	}
	return lastOfEach(all, func(c *model.MembershipChange) model.Membership { return c.Membership })
}

// feedLinks is feedLinks of the packed links.
func (pc *packedChanges) feedLinks() []model.LinkChange {
	all := make([]model.LinkChange, pc.links.len())
	for i := range all {
		child, parent, deleted := pc.links.at(i)
		all[i] = model.LinkChange{Op: changeOp(deleted), Link: model.EntityLink{Child: child, Parent: parent}}
	}
	return lastOfEach(all, func(c *model.LinkChange) model.EntityLink { return c.Link })
}

// bitSet is a set of small non-negative numbers; nil is empty.
type bitSet []uint64

// set adds i, making room for n numbers the first time.
func (b *bitSet) set(i, n int) {
	if *b == nil {
		*b = make(bitSet, (n+63)/64)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitSet) has(i int) bool {
	return b != nil && b[i/64]&(1<<(i%64)) != 0
}
