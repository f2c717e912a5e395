package resolve

import "github.com/grantdb/grantdb/model"

// Check reports whether user has at least level on entity in org at now (unix
// nanoseconds): whether an active allow of that level or more names the user,
// or a group the user reaches along memberships, on the entity or an entity
// above it, and no active deny at that level or below reaches the user there
// (deny.go). An unknown user or entity has no access. Check does not
// allocate; the caller validates its inputs.
func (ix *Index) Check(org, user string, entity model.EntityRef, level model.Level, now int64) bool {
	if ix == nil {
		return false
	}
	if ix.hasDenyOrLinks() && ix.orgHasDenyOrLinks(org) {
		u := ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user})
		if u == nil {
			return false
		}
		m := matcher{nodes: &ix.nodes, user: u}
		return ix.checkMatched(org, &m, entity, level, now)
	}
	es := ix.entries(org, entity)
	var u *node
	for i := range es {
		e := &es[i]
		if e.level < level {
			return false // sorted by level: nothing below reaches it
		}
		if e.effect != effectAllow || !e.activeAt(now) {
			continue
		}
		if u == nil {
			// Looked up only once some grant could give the level.
			if u = ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user}); u == nil {
				return false
			}
		}
		if e.grantee == u.id {
			return true
		}
		if e.toUser {
			continue
		}
		for _, p := range u.parents {
			if ix.nodes.get(p).hasAncestor(e.grantee) {
				return true
			}
		}
	}
	return false
}
