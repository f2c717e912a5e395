package engine

import (
	"context"
	"slices"

	"github.com/grantdb/grantdb/model"
)

// What a database holds, for tools that walk all of it (the grantdb
// command's export and stats) rather than ask about one user or entity.

// Organizations returns the id of every organisation that holds an active
// grant, a membership or an entity link in the published revision, sorted. Grants whose window
// has ended do not count, as everywhere else. It scans every grant: it is for
// tools, not for a request path.
func (e *Engine) Organizations(ctx context.Context) ([]string, error) {
	if e.closed.Load() {
		return nil, closedError()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := e.current.Load().snap.Read()
	now := e.clock()
	seen := map[string]bool{}
	err := r.EachGrant(func(g *model.Grant) bool {
		if !g.EndedAt(now) {
			seen[g.Org] = true
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	err = r.EachMembership(func(org string, _ model.Membership) bool {
		seen[org] = true
		return true
	})
	if err != nil {
		return nil, err
	}
	err = r.EachLink(func(org string, _ model.EntityLink) bool {
		seen[org] = true
		return true
	})
	if err != nil {
		return nil, err
	}
	orgs := make([]string, 0, len(seen))
	for org := range seen {
		orgs = append(orgs, org)
	}
	slices.Sort(orgs)
	return orgs, nil
}

// Memberships returns every membership of org in the published revision,
// ordered by member (type, then id), then group. An invalid org is
// ErrValidation; an organisation with none returns an empty list.
func (e *Engine) Memberships(ctx context.Context, org string) ([]model.Membership, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	var ms []model.Membership
	err = v.snap.Read().Memberships(org, func(m model.Membership) bool {
		ms = append(ms, m)
		return true
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}
