package resolve

import (
	"hash/maphash"
	"math"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Index is the derived, immutable index of one revision of the store: per
// entity, its grants as compact entries; per subject, an interned id and its
// memberships; per group, its ancestor set. It answers Check without
// allocating and without touching memdb. An Index never changes once built:
// Apply returns the next revision's index and leaves the receiver as it was,
// so readers of an older revision keep a consistent view. The nil *Index is
// the empty index.
type Index struct {
	rev uint64
	// entities holds the record of every entity with grants or links, by
	// key (entities.go).
	entities cowMap[entityKey, entityVal]
	subjects cowMap[subjectKey, subjectVal]
	nodes    nodeVec
	// groupSets holds each group's ancestor set again, by sid, where a
	// check reads it in one load without the group's node (nodes.go).
	groupSets valVec[ancSet]
	grants    int
	// linkCount and denies count the links and deny entries.
	linkCount int
	denies    int
}

// entityKey and subjectKey are scoped to an organisation. Their strings are
// those of the stored grant rows (shared, not copied).
type entityKey struct{ org, typ, id string }

type subjectKey struct {
	org string
	typ model.SubjectType
	id  string
}

var hashSeed = maphash.MakeSeed()

// The shard hashes leave out the type: ids carry the entropy, and keys that
// differ only in type merely share a shard.
func hashEntity(org, id string) uint64 {
	return maphash.String(hashSeed, id) ^ maphash.String(hashSeed, org)*0x9e3779b97f4a7c15
}

func hashSubject(org, id string) uint64 { return hashEntity(org, id) }

// effect is what an entry does: allow gives its level, deny (deny.go) takes
// its level and those above away.
type effect uint8

const effectAllow effect = 0

// Nanos converts t to the index's time: unix nanoseconds, with the zero time
// as open (open, math.MinInt64 for a start or math.MaxInt64 for an end) and
// times beyond the int64 range clamped to it.
func Nanos(t time.Time, open int64) int64 {
	switch {
	case t.IsZero():
		return open
	case t.Before(minNanosTime):
		return math.MinInt64
	case t.After(maxNanosTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanosTime = time.Unix(0, math.MinInt64)
	maxNanosTime = time.Unix(0, math.MaxInt64)
)

// Revision is the store revision the index reflects.
func (ix *Index) Revision() uint64 {
	if ix == nil {
		return 0
	}
	return ix.rev
}

// Grants is the number of grants the index holds, in every organisation.
func (ix *Index) Grants() int {
	if ix == nil {
		return 0
	}
	return ix.grants
}

// subject returns the node of s in org, or nil.
func (ix *Index) subject(org string, s model.Subject) *node {
	v, _ := ix.subjects.get(hashSubject(org, s.ID), subjectKey{org, s.Type, s.ID})
	return v.node
}

// subjectVal is what the subject map holds: the node and, for a user, its
// id and its groups when they fit, so that a check reads them from the
// map's slot, never the node.
type subjectVal struct {
	node    *node
	id      sid
	np      uint8 // parents holds the user's groups when np <= len(parents)
	parents [8]sid
}

func subjectValOf(n *node) subjectVal {
	v := subjectVal{node: n, id: n.id, np: ^uint8(0)}
	if !n.isGroup() && len(n.parents) <= len(v.parents) {
		v.np = uint8(copy(v.parents[:], n.parents))
	}
	return v
}

// userParents returns the groups of v's user.
func (v *subjectVal) userParents() []sid {
	if int(v.np) <= len(v.parents) {
		return v.parents[:v.np]
	}
	return v.node.parents
}

// user returns the map value of user in org; its node is nil when the
// index does not know the user.
func (ix *Index) user(org, user string) subjectVal {
	v, _ := ix.subjects.get(hashSubject(org, user), subjectKey{org, model.SubjectUser, user})
	return v
}

// Build returns the index of a snapshot: every grant, membership and link it holds,
// at its revision. Open uses it after loading a store from disk.
func Build(snap *store.Snapshot) (*Index, error) {
	tx := snap.Read()
	cs := store.ChangeSet{Revision: snap.Revision()}
	err := tx.EachMembership(func(org string, m model.Membership) bool {
		cs.Memberships = append(cs.Memberships, store.MembershipChange{Org: org, Membership: m})
		return true
	})
	if err != nil {
		return nil, err
	}
	err = tx.EachLink(func(org string, l model.EntityLink) bool {
		cs.Links = append(cs.Links, store.LinkChange{Org: org, Link: l})
		return true
	})
	if err != nil {
		return nil, err
	}
	err = tx.EachGrant(func(g *model.Grant) bool {
		cs.Grants = append(cs.Grants, store.GrantChange{Grant: g})
		return true
	})
	if err != nil {
		return nil, err
	}
	return (*Index)(nil).Apply(cs), nil
}
