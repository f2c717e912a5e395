package resolve

import "github.com/grantdb/grantdb/model"

// Check reports whether user has at least level on entity in org at now (unix
// nanoseconds): whether an active allow of that level or more names the user,
// or a group the user reaches along memberships, on the entity or an entity
// above it, and no active deny at that level or below reaches the user there
// (deny.go). An unknown user or entity has no access. Check does not
// allocate; the caller validates its inputs.
func (ix *Index) Check(org, user string, entity model.EntityRef, level model.Level, now int64) bool {
	allowed, _ := ix.CheckKnown(org, user, entity, level, now)
	return allowed
}

// Known says which arguments of a check the index found: an id the index
// holds came from a validated write, so it is well-formed, and the caller
// need validate only the others.
type Known uint8

// The arguments CheckKnown may have found.
const (
	KnownUser Known = 1 << iota
	KnownEntity
)

// CheckKnown is Check, and also reports which of user and entity it found
// on its way (a lookup it did not need to make reports nothing). An allowed
// check has found both. It does not allocate.
func (ix *Index) CheckKnown(org, user string, entity model.EntityRef, level model.Level, now int64) (bool, Known) {
	if ix == nil {
		return false, 0
	}
	// The user is looked up before the entity, so that the two probes'
	// cache misses overlap.
	u := ix.user(org, user)
	v := ix.entity(org, entity)
	var known Known
	if u.node != nil {
		known = KnownUser
	}
	if v.rec == nil {
		return false, known
	}
	m := matcher{ix: ix, unknown: u.node == nil, uid: u.id, parents: u.userParents()}
	return checkVal(v, &m, level, now), known | KnownEntity
}

// checkVal reports whether the subject m matches has at least level on the
// entity of v at now: some active allow of level or more on the entity or
// an entity above it reaches the subject, and no active deny at level or
// below does. It reads one array, v.check, which holds the entries of the
// entity and of every entity above it (and the record only for the window
// of an entry that reaches the subject). Allows are looked for first: most
// checks that fail find none, and then no deny need be read. It does not
// allocate.
func checkVal(v entityVal, m *matcher, level model.Level, now int64) bool {
	es := v.check
	i := 0
	for ; i < len(es); i++ {
		e := &es[i]
		if e.level < level {
			return false // sorted by level: nothing below reaches it
		}
		if e.effect == effectAllow && m.applies(e) && v.rec.checkActive(i, now) {
			break
		}
		if m.unknown {
			return false
		}
	}
	if i == len(es) {
		return false
	}
	// Denies at level or below sit at the end.
	for j := len(es) - 1; j >= 0; j-- {
		e := &es[j]
		if e.level > level {
			break
		}
		if e.effect == effectDeny && m.applies(e) && v.rec.checkActive(j, now) {
			return false
		}
	}
	return true
}
