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
// does not allocate.
type matcher struct {
	nodes *nodeVec
	user  *node // set for a user
	group *node // set for a group
}

func (m *matcher) applies(e *entry) bool {
	if m.user != nil {
		if e.grantee == m.user.id {
			return true
		}
		if e.toUser {
			return false
		}
		for _, p := range m.user.parents {
			if m.nodes.get(p).hasAncestor(e.grantee) {
				return true
			}
		}
		return false
	}
	return !e.toUser && m.group.hasAncestor(e.grantee)
}

// hasDenyOrLinks reports whether the index holds a deny or a link anywhere:
// when it holds neither, Check takes the path it had before either existed
// without even looking up the organisation's counts (orgs.go).
func (ix *Index) hasDenyOrLinks() bool { return ix.denies > 0 || ix.linkCount > 0 }

// checkMatched reports whether the subject m matches has at least level on
// entity at now, with denies and inherited grants. It does not allocate.
func (ix *Index) checkMatched(org string, m *matcher, entity model.EntityRef, level model.Level, now int64) bool {
	k := keyOfEntity(org, entity)
	allowed, denied := ix.checkEntries(ix.entries(org, entity), m, level, now, false)
	if denied {
		return false
	}
	if n := ix.entityNode(k); n != nil {
		for _, a := range n.ancestors {
			es, _ := ix.entities.get(hashEntityKey(a), a)
			var d bool
			if allowed, d = ix.checkEntries(es, m, level, now, allowed); d {
				return false
			}
		}
	}
	return allowed
}

// checkEntries folds one entity's entries into a check: allowed once an
// active allow of level or more reaches the subject, denied as soon as an
// active deny at level or below does.
func (ix *Index) checkEntries(es []entry, m *matcher, level model.Level, now int64, allowed bool) (bool, bool) {
	for i := range es {
		e := &es[i]
		switch {
		case e.effect == effectDeny:
			if e.level <= level && e.activeAt(now) && m.applies(e) {
				return allowed, true
			}
		case !allowed && e.level >= level && e.activeAt(now) && m.applies(e):
			allowed = true
		}
	}
	return allowed, false
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
	m := matcher{nodes: &ix.nodes, group: g}
	return ix.checkMatched(org, &m, entity, level, now)
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
