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
//
func (ix *Index) CheckKnown(org, user string, entity model.EntityRef, level model.Level, now int64) (bool, Known) {
	if ix == nil {
		return false, 0
	}
	// The user is looked up before the entity's record is read, so that the
	// two probes' cache misses overlap.
	u := ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user})
	r := ix.entity(org, entity)
	if r == nil {
		if u != nil {
			return false, KnownUser
		}
		return false, 0
	}
	m := matcher{ix: ix, looked: true, unknown: u == nil, user: u}
	allowed := ix.checkRec(r, &m, level, now)
	if m.user != nil {
		return allowed, KnownUser | KnownEntity
	}
	return allowed, KnownEntity
}

// checkRec reports whether the subject m matches has at least level on the
// entity of r at now: some active allow of level or more on the entity or
// an entity above it reaches the subject, and no active deny at level or
// below does. Allows are looked for first: most checks that fail find none,
// and then no deny need be read; an entity without denies is never read for
// them. It does not allocate.
func (ix *Index) checkRec(r *entityRec, m *matcher, level model.Level, now int64) bool {
	if !allowsOn(r, m, level, now) {
		found := false
		for _, a := range r.up {
			if x := ix.ents.get(a); x != nil && allowsOn(x, m, level, now) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if r.denies > 0 && deniesOn(r, m, level, now) {
		return false
	}
	for _, a := range r.up {
		if x := ix.ents.get(a); x != nil && x.denies > 0 && deniesOn(x, m, level, now) {
			return false
		}
	}
	return true
}

// allowsOn reports whether an active allow of level or more on r reaches the
// subject of m.
func allowsOn(r *entityRec, m *matcher, level model.Level, now int64) bool {
	for i := range r.entries {
		e := &r.entries[i]
		if e.level < level {
			return false // sorted by level: nothing below reaches it
		}
		if e.effect == effectAllow && r.active(i, now) && m.applies(e) {
			return true
		}
		if m.unknown {
			return false
		}
	}
	return false
}

// deniesOn reports whether an active deny at level or below on r reaches the
// subject of m.
func deniesOn(r *entityRec, m *matcher, level model.Level, now int64) bool {
	for i := len(r.entries) - 1; i >= 0; i-- {
		e := &r.entries[i]
		if e.level > level {
			return false // sorted by level: nothing above takes it away
		}
		if e.effect == effectDeny && r.active(i, now) && m.applies(e) {
			return true
		}
	}
	return false
}
