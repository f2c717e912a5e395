package engine

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// The paged forms of ResolvedAccess and UsersWithAccess build only the page
// they return. They first list the candidates (the entities granted to the
// user's subjects and every entity below them, the users under the grantees
// of an entity and of every entity above it) without deciding them, which costs an entity reference or a user id each, then decide the
// candidates after the cursor in order until the page is full. A listing of
// 200,000 entities thus holds 200,000 references, not 200,000 decisions
// with their paths. Each page is read from one revision; pages read at
// different revisions may miss or repeat nothing but entries that changed
// between them.

// ResolvedAccessPage returns the part of ResolvedAccess(ctx, org, user, q)
// that sorts after after (the zero EntityRef: from the first), at most limit
// entries (0 means model.DefaultPageSize; more than model.MaxPageSize or
// negative is ErrValidation on limit), in the same order and with the same
// decisions, and whether more follow. The entry's Entity is the next call's
// after.
func (e *Engine) ResolvedAccessPage(ctx context.Context, org, user string, q resolve.Query, after model.EntityRef, limit int) ([]resolve.Decision, bool, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, false, err
	}
	if err := model.ID(model.FieldUserID, user); err != nil {
		return nil, false, err
	}
	if q.EntityType != "" {
		if err := e.val.EntityType(q.EntityType); err != nil {
			return nil, false, err
		}
	}
	if err := validMinLevel(q.MinLevel); err != nil {
		return nil, false, err
	}
	if limit, err = pageLimit(limit); err != nil {
		return nil, false, err
	}
	tx := v.snap.Read()
	minLevel := max(q.MinLevel, model.LevelRead)
	subjects, err := subjectsOf(tx, org, model.User(user))
	if err != nil {
		return nil, false, err
	}
	// A grant on a parent reaches every entity below it, of any type: with
	// links, grants of every type are candidates' sources, and the type
	// filter applies to the entities they reach.
	linked := orgHasLinks(tx, org)
	grantType := q.EntityType
	if linked {
		grantType = ""
	}
	seen := make(map[model.EntityRef]bool)
	var candidates []model.EntityRef
	add := func(ent model.EntityRef) {
		if !seen[ent] && (q.EntityType == "" || ent.Type == q.EntityType) && compareEntities(ent, after) > 0 {
			seen[ent] = true
			candidates = append(candidates, ent)
		}
	}
	var sources []model.EntityRef
	for _, s := range subjects {
		scan := store.GrantScan{Org: org, Entity: model.EntityRef{Type: grantType}, Grantee: s}
		err := tx.ScanGrants(scan, func(_ string, g model.Grant) bool {
			if g.Effect == model.EffectAllow && g.Level >= minLevel {
				add(g.Entity)
				sources = append(sources, g.Entity)
			}
			return true
		})
		if err != nil {
			return nil, false, err
		}
	}
	if linked {
		if err := walkLinks(sources, func(ent model.EntityRef, fn func(model.EntityRef) bool) error {
			return tx.ChildrenOf(org, ent, fn)
		}, add); err != nil {
			return nil, false, err
		}
	}
	slices.SortFunc(candidates, compareEntities)
	now := e.nowNanos()
	page := []resolve.Decision{}
	for _, ent := range candidates {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		d := v.index.Resolve(org, user, ent, now)
		if d.Level < minLevel {
			continue
		}
		if len(page) == limit {
			return page, true, nil // ent qualifies: another page follows
		}
		page = append(page, d)
	}
	return page, false, nil
}

// UsersWithAccessPage returns the part of UsersWithAccess(ctx, org, entity,
// min) whose users sort after after ("": from the first), at most limit
// entries (as ResolvedAccessPage's limit), in the same order and with the
// same levels and paths, and whether more follow.
func (e *Engine) UsersWithAccessPage(ctx context.Context, org string, entity model.EntityRef, min model.Level, after string, limit int) ([]resolve.UserAccess, bool, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, false, err
	}
	if err := e.val.Entity(entity); err != nil {
		return nil, false, err
	}
	if err := validMinLevel(min); err != nil {
		return nil, false, err
	}
	if limit, err = pageLimit(limit); err != nil {
		return nil, false, err
	}
	tx := v.snap.Read()
	minLevel := max(min, model.LevelRead)
	// Candidates: users granted directly, and every user below a granted
	// group (its members, and its sub-groups' members, transitively).
	var users []string
	groups := make(map[model.Subject]bool)
	var queue []model.Subject
	// Grants on the entity and on every entity above it reach it.
	granted := []model.EntityRef{entity}
	if orgHasLinks(tx, org) {
		if err := walkLinks(granted, func(ent model.EntityRef, fn func(model.EntityRef) bool) error {
			return tx.ParentsOf(org, ent, fn)
		}, func(ent model.EntityRef) { granted = append(granted, ent) }); err != nil {
			return nil, false, err
		}
	}
	for _, ent := range granted {
		err = tx.ScanGrants(store.GrantScan{Org: org, Entity: ent}, func(_ string, g model.Grant) bool {
			switch {
			case g.Effect != model.EffectAllow || g.Level < minLevel:
			case g.Grantee.Type == model.SubjectUser:
				users = append(users, g.Grantee.ID)
			case !groups[g.Grantee]:
				groups[g.Grantee] = true
				queue = append(queue, g.Grantee)
			}
			return true
		})
		if err != nil {
			return nil, false, err
		}
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		err := tx.MembersOf(org, g, func(m model.Subject) bool {
			switch {
			case m.Type == model.SubjectUser:
				users = append(users, m.ID)
			case !groups[m]:
				groups[m] = true
				queue = append(queue, m)
			}
			return true
		})
		if err != nil {
			return nil, false, err
		}
	}
	users = slices.DeleteFunc(users, func(u string) bool { return u <= after })
	slices.Sort(users)
	users = slices.Compact(users)
	now := e.nowNanos()
	page := []resolve.UserAccess{}
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		d := v.index.Resolve(org, u, entity, now)
		if d.Level < minLevel {
			continue
		}
		if len(page) == limit {
			return page, true, nil // u qualifies: another page follows
		}
		page = append(page, resolve.UserAccess{User: u, Level: d.Level, Via: d.Via, Denied: d.Denied})
	}
	return page, false, nil
}

// orgHasLinks reports whether org holds any entity link.
func orgHasLinks(tx *store.ReadTxn, org string) bool {
	found := false
	_ = tx.Links(org, func(model.EntityLink) bool {
		found = true
		return false
	})
	return found
}

// walkLinks calls found once for every entity reached from the start
// entities along next (children or parents), transitively, the start
// entities excluded unless reached again. Cycles cannot be stored, but the
// walk visits each entity once all the same.
func walkLinks(start []model.EntityRef, next func(model.EntityRef, func(model.EntityRef) bool) error, found func(model.EntityRef)) error {
	visited := make(map[model.EntityRef]bool, len(start))
	queue := append([]model.EntityRef(nil), start...)
	for _, ent := range start {
		visited[ent] = true
	}
	for len(queue) > 0 {
		ent := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		err := next(ent, func(n model.EntityRef) bool {
			if !visited[n] {
				visited[n] = true
				found(n)
				queue = append(queue, n)
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// subjectsOf returns s and every group s belongs to, transitively, each
// once.
func subjectsOf(tx *store.ReadTxn, org string, s model.Subject) ([]model.Subject, error) {
	out := []model.Subject{s}
	seen := map[model.Subject]bool{s: true}
	for i := 0; i < len(out); i++ {
		err := tx.GroupsOf(org, out[i], func(g model.Subject) bool {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pageLimit checks a page size: 0 is model.DefaultPageSize.
func pageLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, model.NewError(model.CodeValidation, model.FieldLimit, "limit must not be negative")
	case limit > model.MaxPageSize:
		return 0, model.NewError(model.CodeValidation, model.FieldLimit, "limit must be at most 1000")
	case limit == 0:
		return model.DefaultPageSize, nil
	}
	return limit, nil
}

// compareEntities orders entities as ResolvedAccess lists them: by type,
// then id. The zero EntityRef sorts first.
func compareEntities(a, b model.EntityRef) int {
	return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.ID, b.ID))
}
