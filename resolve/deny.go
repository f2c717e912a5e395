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
// does not allocate. A user's groups are read from its map value, which
// holds its closure (subjectVal).
type matcher struct {
	// unknown is set for a user the index does not know: no entry applies.
	unknown bool
	user    *subjectVal // set for a user
	first   sid         // the first group of the user's closure
	group   *node       // set for a group
}

// userMatcher returns the matcher of the user whose map value is v; the
// matcher reads v, which must outlive it. A value without a node is an
// unknown user: nothing applies.
func userMatcher(v *subjectVal) matcher {
	if v.node == nil {
		return matcher{unknown: true, user: &unknownUser}
	}
	m := matcher{user: v}
	if c := v.closure(); len(c) > 0 {
		m.first = c[0]
	}
	return m
}

func (m *matcher) applies(e *entry) bool { return m.appliesTo(e.grantee, e.toUser) }

// appliesTo reports whether an entry to grantee reaches the subject;
// toUser says the grantee is a user.
func (m *matcher) appliesTo(grantee sid, toUser bool) bool {
	if m.group != nil {
		return !toUser && m.group.hasAncestor(grantee)
	}
	if grantee == m.user.id {
		return true
	}
	return !toUser && grantee >= m.first && m.user.reaches(grantee)
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
	m := matcher{group: g}
	return checkVal(&v, &m, level, now)
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
