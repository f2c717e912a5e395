package resolve

import (
	"hash/maphash"
	"math"
	"strings"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Index is the derived, immutable index of one revision of the store: per
// entity, its grants as compact entries; per subject, an interned id and its
// memberships; per group, its ancestor set; per user, its closure (every
// group it reaches). It answers Check without allocating and without
// touching memdb. An Index never changes once built: Apply returns the next
// revision's index and leaves the receiver as it was, so readers of an older
// revision keep a consistent view. The nil *Index is the empty index.
type Index struct {
	rev uint64
	// entities holds the record of every entity with grants or links, by
	// key (entities.go).
	entities cowMap[mapKey, entityVal]
	subjects cowMap[mapKey, subjectVal]
	// names numbers the organisations and entity types the keys name.
	names     cowMap[string, uint32]
	nameCount uint32
	nodes     nodeVec
	grants    int
	// linkCount and denies count the links and deny entries.
	linkCount int
	denies    int
}

// entityKey names an entity of an organisation; its strings are those of
// the stored grant and link rows (shared, not copied).
type entityKey struct{ org, typ, id string }

// mapKey is the key of the entity and subject maps: an organisation and a
// type, as numbers (names: an entity type's number, or a subject type's
// code), and the id's bytes in the key itself when they fit (keyID), so
// that a lookup that finds its slot compares the key without a cache miss
// on a stored string. It is 48 bytes, so that a slot has room for what a
// check reads next (a user's closure, an entity's check entries).
type mapKey struct {
	org, typ uint32
	id       keyID
}

// subjectTypeCode is the type of a subject key.
func subjectTypeCode(t model.SubjectType) uint32 {
	switch t {
	case model.SubjectUser:
		return 1
	case model.SubjectDepartment:
		return 2
	case model.SubjectRole:
		return 3
	}
	return 0 // no stored subject has it
}

// nameNum returns the number of name (an organisation or an entity type),
// whose hash is h, in ix.
func (ix *Index) nameNum(h uint64, name string) (uint32, bool) {
	if ix == nil {
		return 0, false
	}
	return ix.names.get(h, name)
}

// subjectKey returns the key of s in org, false when the index knows no
// subject of org.
func (ix *Index) subjectKey(org string, s model.Subject) (mapKey, bool) {
	o, ok := ix.nameNum(hashName(org), org)
	return mapKey{o, subjectTypeCode(s.Type), keyIDOf(s.ID)}, ok
}

// mapKeyOf returns the map key of k, false when the index knows no such
// organisation or type.
func (ix *Index) mapKeyOf(k entityKey) (mapKey, bool) {
	o, ok1 := ix.nameNum(hashName(k.org), k.org)
	t, ok2 := ix.nameNum(hashName(k.typ), k.typ)
	return mapKey{o, t, keyIDOf(k.id)}, ok1 && ok2
}

// nameBuilder numbers the names of the next revision.
type nameBuilder struct {
	m *cowMapBuilder[string, uint32]
	n uint32
	// org and typ remember the last org and entity type numbered: a
	// commit's keys mostly repeat them.
	org, typ cachedName
}

type cachedName struct {
	name string
	num  uint32
}

// cached returns the number of name, remembering it in c.
func (b *nameBuilder) cached(c *cachedName, name string) uint32 {
	if c.num == 0 || c.name != name {
		*c = cachedName{name, b.num(name)}
	}
	return c.num
}

func newNameBuilder(ix *Index) *nameBuilder {
	return &nameBuilder{m: newCowMapBuilder(ix.names), n: ix.nameCount}
}

// num returns the number of name, numbering it when it is new.
func (b *nameBuilder) num(name string) uint32 {
	h := hashName(name)
	if v, ok := b.m.get(h, name); ok {
		return v
	}
	b.n++
	b.m.add(h, name, b.n)
	return b.n
}

// lookup returns the number of name, false when it has none.
func (b *nameBuilder) lookup(name string) (uint32, bool) { return b.m.get(hashName(name), name) }

func (b *nameBuilder) subjectKey(org string, s model.Subject) mapKey {
	return mapKey{b.cached(&b.org, org), subjectTypeCode(s.Type), keyIDOf(s.ID)}
}

func (b *nameBuilder) mapKey(k entityKey) mapKey {
	return mapKey{b.cached(&b.org, k.org), b.cached(&b.typ, k.typ), keyIDOf(k.id)}
}

// keyID is an id as a map key holds it: its bytes inline, zero-padded,
// when there are at most len(short) of them and none is zero (so that the
// padding tells lengths apart; the generator's ids and most service ids
// fit), else the string.
type keyID struct {
	short [24]byte
	long  string
}

func keyIDOf(id string) keyID {
	var k keyID
	if len(id) > len(k.short) || strings.IndexByte(id, 0) >= 0 {
		k.long = id
		return k
	}
	copy(k.short[:], id)
	return k
}

var hashSeed = maphash.MakeSeed()

// The shard hashes leave out the type: ids carry the entropy, and keys that
// differ only in type merely share a shard.
func hashEntity(org, id string) uint64 { return hashIn(hashOrg(org), id) }

// hashOrg and hashIn split hashEntity, so that a check hashes its org once
// for both of its lookups.
func hashOrg(org string) uint64 { return orgHashOf(hashName(org)) }

// hashName is the hash of a name in the names map; orgHashOf turns an
// org's into the part of a key's hash the org gives, so that a check hashes
// its org once for both.
func hashName(name string) uint64 { return maphash.String(hashSeed, name) }

func orgHashOf(nameHash uint64) uint64 { return nameHash * 0x9e3779b97f4a7c15 }

func hashIn(orgHash uint64, id string) uint64 { return maphash.String(hashSeed, id) ^ orgHash }

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
	k, ok := ix.subjectKey(org, s)
	if !ok {
		return nil
	}
	v, _ := ix.subjects.get(hashSubject(org, s.ID), k)
	return v.node
}

// subjectVal is what the subject map holds: the node and its id and, for a
// user, its closure, so that a check reads the groups the user reaches from
// the map's slot alone (a 192-byte slot, three adjacent cache lines whose
// misses overlap), never a group's node: a filter of the closure, which
// says no in one load to most groups a check asks about, and the closure
// itself (held only here), inline when it has at most inlineClosure groups,
// which most users' have, else in an array of its own.
type subjectVal struct {
	node   *node
	filter uint64
	long   *[]sid // the closure when it does not fit inline
	id     sid
	n      uint32 // groups inline
	inline [inlineClosure]sid
}

// inlineClosure is the most groups a subject slot holds inline: what fills
// it to 192 bytes.
const inlineClosure = 22

// groupVal is the map value of a group, or of a user before its closure is
// settled (indexBuilder.settleUser).
func groupVal(n *node) subjectVal { return subjectVal{node: n, id: n.id} }

// userVal is the map value of user n, whose closure is set (sorted; the
// value keeps set only when it does not fit inline).
func userVal(n *node, set []sid) subjectVal {
	v := subjectVal{node: n, id: n.id}
	if len(set) <= inlineClosure {
		v.n = uint32(copy(v.inline[:], set))
	} else {
		v.long = &set
	}
	for _, g := range set {
		v.filter |= 1 << closureBit(g)
	}
	return v
}

// closure returns the groups the user of v reaches, sorted.
func (v *subjectVal) closure() []sid {
	if v.long != nil {
		return *v.long
	}
	return v.inline[:v.n]
}

// closureBit is a group's bit in a closure filter.
func closureBit(g sid) uint32 { return (g * 0x9e3779b1) >> 26 }

// reaches reports whether the user of v reaches group g. Unknown users (the
// zero value) reach none.
func (v *subjectVal) reaches(g sid) bool {
	if v.filter&(1<<closureBit(g)) == 0 {
		return false
	}
	for _, x := range v.closure() {
		if x >= g {
			return x == g // sorted
		}
	}
	return false
}

// user returns the map value of user in org; its node is nil when the
// index does not know the user.
func (ix *Index) user(org, user string) subjectVal {
	k, ok := ix.subjectKey(org, model.User(user))
	if !ok {
		return subjectVal{}
	}
	v, _ := ix.subjects.get(hashSubject(org, user), k)
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
