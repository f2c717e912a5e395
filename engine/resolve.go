package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// Resolve returns user's effective level on entity in org — the highest
// active allow that reaches the user on the entity or an entity above it,
// capped below the lowest such deny — and, in Via, one resolve.Path per
// active allow that gives that level, with the shortest chain of
// memberships from the user to the grantee (ties broken by byte order of the
// subjects: type, then id) and the shortest chain of links from the entity
// to the grant's, sorted by grant id; in Denied, the denies that took a
// level away, likewise. An unknown user gets LevelNone and no paths.
func (e *Engine) Resolve(ctx context.Context, org, user string, entity model.EntityRef) (resolve.Decision, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return resolve.Decision{}, err
	}
	if err := e.resolveArgs(user, entity); err != nil {
		return resolve.Decision{}, err
	}
	return v.index.Resolve(org, user, entity, e.nowNanos()), nil
}

// ResolvedAccess returns every entity that user can reach in org at
// q.MinLevel or more (and at least read), restricted to q.EntityType when it
// is set, with level and paths, sorted by entity type then id. The list is
// complete: it is never truncated.
func (e *Engine) ResolvedAccess(ctx context.Context, org, user string, q resolve.Query) ([]resolve.Decision, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	if err := model.ID(model.FieldUserID, user); err != nil {
		return nil, err
	}
	if q.EntityType != "" {
		if err := e.val.EntityType(q.EntityType); err != nil {
			return nil, err
		}
	}
	if err := validMinLevel(q.MinLevel); err != nil {
		return nil, err
	}
	return v.index.ResolvedAccess(v.snap.Read(), org, user, q, e.nowNanos())
}

// UsersWithAccess returns every user whose effective level on entity in org
// is min or more (and at least read), with level and paths, sorted by user
// id. Members of a granted department include the members of its
// sub-departments; holders of a granted role include the holders of roles
// that include it. The list is complete: it is never truncated.
func (e *Engine) UsersWithAccess(ctx context.Context, org string, entity model.EntityRef, min model.Level) ([]resolve.UserAccess, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	if err := e.val.Entity(entity); err != nil {
		return nil, err
	}
	if err := validMinLevel(min); err != nil {
		return nil, err
	}
	return v.index.UsersWithAccess(v.snap.Read(), org, entity, min, e.nowNanos())
}

// validMinLevel accepts any defined level as a lower bound, none included
// (which lists everything with some access).
func validMinLevel(l model.Level) error {
	if !l.Valid() {
		return model.NewError(model.CodeValidation, model.FieldAccessLevel, "access_level must be one of {'none', 'read', 'write', 'admin'}")
	}
	return nil
}
