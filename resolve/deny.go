package resolve

import "github.com/grantdb/grantdb/model"

// Deny (docs/design.md §2.10): a deny at level L takes L and every level above
// it away from everyone it reaches, on its entity and every entity below. A
// subject's level on an entity is the highest active allow that reaches it,
// capped below the lowest active deny that reaches it.

const effectDeny effect = 1

func effectOf(f model.Effect) effect {
	if f == model.EffectDeny {
		return effectDeny
	}
	return effectAllow
}

// capLevel is the level a deny at l leaves: the one below it.
func capLevel(l model.Level) model.Level { return l - 1 }

// noDeny is the cap when no deny applies: above every level.
const noDeny = model.LevelAdmin + 1

// matcher says which entries reach a subject: a user (its own grants and
// those of every group it reaches) or a group (the grants of the group and
// of every group it reaches, never a user's). It lives on the stack: Check
// does not allocate. The groups a user reaches are gathered on the first
// entry that needs them, once, into set.
type matcher struct {
	ix *Index
	// unknown is set for a user the index does not know: no entry applies.
	unknown bool
	uid     sid   // the user
	parents []sid // the user's groups
	group   *node // set for a group
	set     groupSet
}

func (m *matcher) applies(e *entry) bool {
	if m.group != nil {
		return !e.toUser && m.group.hasAncestor(e.grantee)
	}
	if m.unknown {
		return false
	}
	if e.grantee == m.uid {
		return true
	}
	if e.toUser {
		return false
	}
	if !m.set.filled {
		m.set.fill(&m.ix.groupSets, m.parents)
	}
	if m.set.overflow {
		for _, p := range m.parents {
			if m.ix.nodes.get(p).hasAncestor(e.grantee) {
				return true
			}
		}
		return false
	}
	return m.set.has(e.grantee)
}

// groupSet is the set of groups a user reaches (the ancestors of its
// parents), gathered once per check on the stack, with a 256-bit filter in
// front of it: most entries a check reads name a group the user is not in,
// and the filter says so in one load, without reading any group's node.
type groupSet struct {
	filled   bool
	overflow bool // more groups than fit: test the parents' sets instead
	n        int
	filter   [4]uint64
	sids     [maxGroupSet]sid
}

const maxGroupSet = 64

func filterBit(s sid) uint32 { return (s * 0x9e3779b1) >> 24 }

// fill gathers the groups reached from parents from their ancestor sets, which are
// read independently of each other, so that their cache misses overlap.
func (g *groupSet) fill(sets *valVec[ancSet], parents []sid) {
	g.filled = true
	for _, p := range parents {
		set := sets.at(p)
		if set == nil || set.n == tooMany || g.n+int(set.n) > maxGroupSet {
			g.overflow = true
			return
		}
		for _, a := range set.s[:set.n] {
			g.sids[g.n] = a
			g.n++
			b := filterBit(a)
			g.filter[b>>6] |= 1 << (b & 63)
		}
	}
}

func (g *groupSet) has(s sid) bool {
	b := filterBit(s)
	if g.filter[b>>6]&(1<<(b&63)) == 0 {
		return false
	}
	for _, x := range g.sids[:g.n] {
		if x == s {
			return true
		}
	}
	return false
}

// CheckSubject reports whether subject s has at least level on entity in org
// at now. For a user it is Check. For a department or a role it is what
// every member gets from that group: the grants (allows and denies) of the
// group and of every group it reaches; grants to users do not count. An
// unknown subject has no access. It does not allocate.
func (ix *Index) CheckSubject(org string, s model.Subject, entity model.EntityRef, level model.Level, now int64) bool {
	if ix == nil {
		return false
	}
	if s.Type == model.SubjectUser {
		return ix.Check(org, s.ID, entity, level, now)
	}
	g := ix.subject(org, s)
	if g == nil || !g.isGroup() {
		return false
	}
	v := ix.entity(org, entity)
	m := matcher{ix: ix, group: g}
	return checkVal(v, &m, level, now)
}

// Denies is the number of deny grants the index holds, in every
// organisation.
func (ix *Index) Denies() int {
	if ix == nil {
		return 0
	}
	return ix.denies
}

// Links is the number of entity links the index holds, in every
// organisation.
func (ix *Index) Links() int {
	if ix == nil {
		return 0
	}
	return ix.linkCount
}
