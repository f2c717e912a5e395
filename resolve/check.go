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
// need validate only the others (the org too, when neither was found: a
// found user or entity proves its org was stored).
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
	// The org and the entity type are numbered in the names map (small,
	// and cached); an org or type the index has no number for holds
	// nothing. The org is hashed once for both lookups.
	nh := hashName(org)
	on, ok := ix.names.get(nh, org)
	if !ok {
		return false, 0
	}
	tn, typeKnown := ix.names.get(hashName(entity.Type), entity.Type)
	// Both lookups read their shard and home slot before either compares
	// a key, so that the two slots' cache misses overlap. Each slot holds
	// what the check reads next (the closure, the check entries).
	oh := orgHashOf(nh)
	uh, eh := hashIn(oh, user), hashIn(oh, entity.ID)
	up, ep := ix.subjects.start(uh), ix.entities.start(eh)
	u := up.find(uh, mapKey{on, subjectTypeCode(model.SubjectUser), keyIDOf(user)})
	var v *entityVal
	if typeKnown {
		v = ep.find(eh, mapKey{on, tn, keyIDOf(entity.ID)})
	}
	var known Known
	m := matcher{unknown: u == nil, user: &unknownUser}
	if u != nil {
		known = KnownUser
		m = userMatcher(u)
	}
	if v == nil {
		return false, known
	}
	return checkVal(v, &m, level, now), known | KnownEntity
}

// unknownUser is the map value of a user the index does not know: it
// reaches nothing.
var unknownUser subjectVal

// checkVal reports whether the subject m matches has at least level on the
// entity of v at now: some active allow of level or more on the entity or
// an entity above it reaches the subject, and no active deny at level or
// below does. It reads the check array, which holds the entries of the
// entity and of every entity above it: from the slot, where most are held
// inline, else from the record (and the record only for the window of an
// entry with a window that reaches the subject: an entry without one is
// active without a read of the record). Allows are looked for first: most
// checks that fail find none, and then no deny need be read. It does not
// allocate.
func checkVal(v *entityVal, m *matcher, level model.Level, now int64) bool {
	if v.n > inlineChecks {
		return checkEntries(v.rec, m, level, now)
	}
	n := int(v.n)
	want := entryMeta(level)
	i := 0
	for ; i < n; i++ {
		mt := v.metas[i]
		if mt&metaLevel < want {
			return false // sorted by level: nothing below reaches it
		}
		if mt&metaDeny == 0 && m.appliesTo(v.grantees[i], mt&metaToUser != 0) &&
			(mt&metaWindow == 0 || v.rec.checkActive(i, now)) {
			break
		}
		if m.unknown {
			return false
		}
	}
	if i == n {
		return false
	}
	// Denies at level or below sit at the end.
	for j := n - 1; j >= 0; j-- {
		mt := v.metas[j]
		if mt&metaLevel > want {
			break
		}
		if mt&metaDeny != 0 && m.appliesTo(v.grantees[j], mt&metaToUser != 0) &&
			(mt&metaWindow == 0 || v.rec.checkActive(j, now)) {
			return false
		}
	}
	return true
}

// checkEntries is checkVal for a check array too long to be held inline. It
// repeats checkVal's two passes over the record's entries rather than share
// them: one loop over both layouts would add a branch or an indirection to
// every entry the hot path reads.
func checkEntries(r *entityRec, m *matcher, level model.Level, now int64) bool {
	es := r.check
	i := 0
	for ; i < len(es); i++ {
		e := &es[i]
		if e.level < level {
			return false
		}
		if e.effect == effectAllow && m.applies(e) && (e.win == 0 || r.checkActive(i, now)) {
			break
		}
		if m.unknown {
			return false
		}
	}
	if i == len(es) {
		return false
	}
	for j := len(es) - 1; j >= 0; j-- {
		e := &es[j]
		if e.level > level {
			break
		}
		if e.effect == effectDeny && m.applies(e) && (e.win == 0 || r.checkActive(j, now)) {
			return false
		}
	}
	return true
}
