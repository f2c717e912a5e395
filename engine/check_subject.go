package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
)

// CheckSubject reports whether subject s may act on entity at level in org.
// For a user it is Check. For a department or a role it answers for the
// group as a whole: whether the grants of the group and of every group it
// reaches through memberships, allows and denies, on the entity or an entity
// above it, give level or more: what every member gets from the group.
// Grants to individual users, denies included, do not count. A subject the
// engine has never seen has no access (false, never an error). A malformed
// subject or entity, or a level other than read, write or admin, is
// ErrValidation. Like Check, it does not allocate.
func (e *Engine) CheckSubject(ctx context.Context, org string, s model.Subject, entity model.EntityRef, level model.Level) (bool, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return false, err
	}
	if err := e.val.Grantee(s); err != nil {
		return false, err
	}
	if err := e.val.Entity(entity); err != nil {
		return false, err
	}
	if err := model.GrantLevel(level); err != nil {
		return false, err
	}
	return v.index.CheckSubject(org, s, entity, level, e.nowNanos()), nil
}
