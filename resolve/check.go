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
	if ix.hasDenyOrLinks() && ix.orgHasDenyOrLinks(org) {
		u := ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user})
		if u == nil {
			return false, 0
		}
		m := matcher{nodes: &ix.nodes, user: u}
		allowed := ix.checkMatched(org, &m, entity, level, now)
		if allowed {
			return true, KnownUser | KnownEntity
		}
		return false, KnownUser
	}
	es := ix.entries(org, entity)
	if es == nil {
		return false, 0
	}
	known := KnownEntity
	var u *node
	for i := range es {
		e := &es[i]
		if e.level < level {
			return false, known // sorted by level: nothing below reaches it
		}
		if e.effect != effectAllow || !e.activeAt(now) {
			continue
		}
		if u == nil {
			// Looked up only once some grant could give the level.
			if u = ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user}); u == nil {
				return false, known
			}
			known |= KnownUser
		}
		if e.grantee == u.id {
			return true, known
		}
		if e.toUser {
			continue
		}
		for _, p := range u.parents {
			if ix.nodes.get(p).hasAncestor(e.grantee) {
				return true, known
			}
		}
	}
	return false, known
}
