package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// Check reports whether user may act on entity at level in org: whether an
// active grant to the user, or to a department or role the user reaches
// through memberships, on the entity or an entity it sits inside, gives
// level or more, and no such deny takes it away. An unknown user has no access.
// Check reads the derived index of the published revision and does not
// allocate. A malformed org, user or entity, or a level other than read,
// write or admin, is ErrValidation.
func (e *Engine) Check(ctx context.Context, org, user string, entity model.EntityRef, level model.Level) (bool, error) {
	// What admit checks, with the org validated last: an index lookup that
	// finds the user or the entity proves the org was stored, so valid.
	if err := e.live(ctx); err != nil {
		return false, err
	}
	v := e.current.Load()
	if err := model.GrantLevel(level); err != nil {
		if err := e.val.Org(org); err != nil {
			return false, err
		}
		if err := e.resolveArgs(user, entity); err != nil {
			return false, err // a bad id is reported before a bad level
		}
		return false, err
	}
	// An id the index holds was validated when it was written (and stored
	// entity types are checked against the validator at Open), so only the
	// arguments the lookup did not find are validated: on the hot path the
	// bytes are read once, by the hash. The errors are those of validating
	// first: a found argument would have passed.
	allowed, known := v.index.CheckKnown(org, user, entity, level, e.nowNanos())
	if known == 0 {
		if err := e.val.Org(org); err != nil {
			return false, err
		}
	}
	if known&resolve.KnownUser == 0 {
		if err := model.ID(model.FieldUserID, user); err != nil {
			return false, err
		}
	}
	if known&resolve.KnownEntity == 0 {
		if err := e.val.Entity(entity); err != nil {
			return false, err
		}
	}
	return allowed, nil
}

// resolveArgs checks the user and entity of a resolution call.
func (e *Engine) resolveArgs(user string, entity model.EntityRef) error {
	if err := model.ID(model.FieldUserID, user); err != nil {
		return err
	}
	return e.val.Entity(entity)
}

// nowNanos is the engine clock in the index's time (unix nanoseconds).
func (e *Engine) nowNanos() int64 { return resolve.Nanos(e.cfg.now(), 0) }
