package engine

import (
	"context"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// CreateGrant gives in.Grantee in.Level access to in.Entity in org and
// returns the new grant; with in.Effect deny it takes in.Level and above
// away instead. A grant for the same (entity, grantee, effect) that has not
// ended is ErrDuplicate; bad input is ErrValidation naming the field.
func (e *Engine) CreateGrant(ctx context.Context, org string, in model.GrantInput) (model.Grant, error) {
	var created model.Grant
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		now := e.clock()
		if err := e.val.Grant(in, now); err != nil {
			return err
		}
		if old, ok := tx.GrantWithEffect(org, in.Entity, in.Grantee, in.Effect); ok && !old.EndedAt(now) {
			return model.DuplicateGrantError(old)
		}
		created = e.newGrant(org, in, now)
		return tx.PutGrant(created)
	})
	if err != nil {
		return model.Grant{}, err
	}
	return created, nil
}

// newGrant makes the stored form of a validated input (model.NewGrant) with
// the next id. Only the write path calls it: it draws the id.
func (e *Engine) newGrant(org string, in model.GrantInput, t time.Time) model.Grant {
	return model.NewGrant(e.ids.next(t), org, in, t)
}

func notFoundError(id string) error {
	return model.NewError(model.CodeNotFound, model.FieldGrantID, "grant %q not found", id)
}

// GetGrant returns the grant with that id in org. A grant that was never
// there, was revoked, has ended or belongs to another organisation is
// ErrNotFound.
func (e *Engine) GetGrant(ctx context.Context, org, id string) (model.Grant, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return model.Grant{}, err
	}
	g, ok := v.snap.Read().GrantByID(org, id)
	if !ok || g.EndedAt(e.clock()) {
		return model.Grant{}, notFoundError(id)
	}
	return g, nil
}

// UpdateGrant changes the level of the grant with that id and returns it;
// its id, window and creation time stay, and UpdatedAt becomes now. A level
// other than read, write or admin is ErrValidation; a grant GetGrant would
// not find is ErrNotFound.
func (e *Engine) UpdateGrant(ctx context.Context, org, id string, level model.Level) (model.Grant, error) {
	var updated model.Grant
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		if err := model.GrantLevel(level); err != nil {
			return err
		}
		now := e.clock()
		g, ok := tx.GrantByID(org, id)
		if !ok || g.EndedAt(now) {
			return notFoundError(id)
		}
		g.Level, g.UpdatedAt = level, now
		updated = g
		return tx.PutGrant(g)
	})
	if err != nil {
		return model.Grant{}, err
	}
	return updated, nil
}

// RevokeGrant deletes the grant with that id. Its id is never used again. A
// grant GetGrant would not find is ErrNotFound.
func (e *Engine) RevokeGrant(ctx context.Context, org, id string) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		g, ok := tx.GrantByID(org, id)
		if !ok || g.EndedAt(e.clock()) {
			return notFoundError(id)
		}
		_, err := tx.DeleteGrant(g)
		return err
	})
	return err
}

// ListGrants returns one page of org's grants that match q, in key order
// (entity, then grantee, then effect: allow first). It lists grants on the
// entities asked for only, none inherited from entities above them. Limit 0 means model.DefaultPageSize and a limit
// above model.MaxPageSize is taken as model.MaxPageSize; every page but the
// last is full, and NextCursor is empty exactly when nothing follows. Ended
// grants are not listed; grants whose window has not started are.
func (e *Engine) ListGrants(ctx context.Context, org string, q model.GrantQuery) (model.GrantPage, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return model.GrantPage{}, err
	}
	scan, limit, err := e.grantScan(org, q)
	if err != nil {
		return model.GrantPage{}, err
	}
	now := e.clock()
	page := model.GrantPage{Grants: make([]model.Grant, 0, min(limit, 64))}
	var lastPos string
	err = v.snap.Read().ScanGrants(scan, func(pos string, g model.Grant) bool {
		if g.Level < q.MinLevel || g.EndedAt(now) || !granteeTypeMatches(q.Grantee, g.Grantee) {
			return true
		}
		if len(page.Grants) == limit {
			// One more matches: the page is full and something follows.
			page.NextCursor = encodeCursor(org, q, lastPos)
			return false
		}
		page.Grants = append(page.Grants, g)
		lastPos = pos
		return true
	})
	if err != nil {
		return model.GrantPage{}, err
	}
	return page, nil
}

// granteeTypeMatches reports whether g passes q's grantee type (a query
// naming the grantee's id is matched by the scan itself).
func granteeTypeMatches(q, g model.Subject) bool {
	return q.Type == "" || q.Type == g.Type
}

// grantScan checks q and turns it into a store scan and a page size.
func (e *Engine) grantScan(org string, q model.GrantQuery) (store.GrantScan, int, error) {
	scan := store.GrantScan{Org: org}
	if q.Entity != (model.EntityRef{}) {
		if err := e.val.EntityType(q.Entity.Type); err != nil {
			return scan, 0, err
		}
		if q.Entity.ID != "" {
			if err := model.ID(model.FieldEntityID, q.Entity.ID); err != nil {
				return scan, 0, err
			}
		}
		scan.Entity = q.Entity
	}
	switch {
	case q.Grantee == (model.Subject{}):
	case q.Grantee.ID == "" && q.Grantee.Type.Valid():
		// A grantee type alone matches every grantee of that type: the
		// store scans the org (or entity) and ListGrants filters by type.
	default:
		if err := e.val.Grantee(q.Grantee); err != nil {
			return scan, 0, err
		}
		scan.Grantee = q.Grantee
	}
	if err := validMinLevel(q.MinLevel); err != nil {
		return scan, 0, err
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return scan, 0, model.NewError(model.CodeValidation, model.FieldLimit, "limit must not be negative")
	case limit == 0:
		limit = model.DefaultPageSize
	case limit > model.MaxPageSize:
		limit = model.MaxPageSize
	}
	if q.Cursor != "" {
		pos, err := decodeCursor(org, q)
		if err != nil {
			return scan, 0, err
		}
		scan.After = pos
	}
	return scan, limit, nil
}
