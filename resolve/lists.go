package resolve

import (
	"cmp"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// The lists read the reverse directions (grants by grantee, members by group)
// from the store, and levels from the index. tx and ix must be of the same
// revision, so that the answer is that revision's, whole.

// ResolvedAccess returns every entity on which user's level in org at now is
// at least q.MinLevel (and at least read), restricted to q.EntityType when it
// is set, sorted by entity type then id: entities granted to the user's
// subjects and every entity below them, denies applied. The list is
// complete.
func (ix *Index) ResolvedAccess(tx *store.ReadTxn, org, user string, q Query, now int64) ([]Decision, error) {
	out := []Decision{}
	if ix == nil {
		return out, nil
	}
	c := ix.closureOf(org, user)
	if c == nil {
		return out, nil
	}
	minLevel := max(q.MinLevel, model.LevelRead)
	seen := make(map[entityKey]bool)
	var ec entityClosure
	var buf pathBuf // shared by every decision's paths
	consider := func(k entityKey) bool {
		if q.EntityType != "" && k.typ != q.EntityType {
			return true
		}
		ix.fillEntityClosure(&ec, org, k.ref())
		level, via, denied := ix.decideOver(&ec, c, now, &buf)
		if level >= minLevel {
			out = append(out, Decision{Entity: k.ref(), Level: level, Via: via, Denied: denied})
		}
		return true
	}
	// With links, a grant on an entity of another type can reach entities of
	// the asked type below it: the scan then takes every type.
	scanType := q.EntityType
	if ix.linkCount > 0 {
		scanType = ""
	}
	for _, s := range c.order {
		scan := store.GrantScan{Org: org, Entity: model.EntityRef{Type: scanType}, Grantee: ix.nodes.get(s).subject}
		err := tx.ScanGrants(scan, func(_ string, g model.Grant) bool {
			k := keyOfEntity(org, g.Entity)
			if g.Effect != model.EffectAllow || g.Level < minLevel || seen[k] {
				return true
			}
			seen[k] = true
			consider(k)
			ix.descendants(k, seen, consider)
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Decision) int {
		return cmp.Or(strings.Compare(a.Entity.Type, b.Entity.Type), strings.Compare(a.Entity.ID, b.Entity.ID))
	})
	return out, nil
}

// UsersWithAccess returns every user whose level on entity in org at now is
// at least min (and at least read), sorted by user id, each with the paths
// that explain the level. Members of a granted group include the members of
// every group below it; grants on the entities above entity count as on it;
// denies apply. The list is complete.
func (ix *Index) UsersWithAccess(tx *store.ReadTxn, org string, entity model.EntityRef, min model.Level, now int64) ([]UserAccess, error) {
	out := []UserAccess{}
	if ix == nil {
		return out, nil
	}
	var ec entityClosure
	ix.fillEntityClosure(&ec, org, entity)
	minLevel := max(min, model.LevelRead)
	// Only users reached by an active grant of the level or more can qualify.
	// They are collected with repeats (a user in two granted groups), then
	// sorted, so that the answer comes out in order.
	var users []string
	groups := make(map[sid]bool)
	var queue []sid
	for _, up := range ec.up {
		r := up.rec
		if r == nil {
			continue
		}
		for i := range r.entries {
			e := &r.entries[i]
			if e.level < minLevel || e.effect != effectAllow || !r.active(i, now) {
				continue
			}
			if e.toUser {
				users = append(users, r.grants[i].Grantee.ID)
			} else if !groups[e.grantee] {
				groups[e.grantee] = true
				queue = append(queue, e.grantee)
			}
		}
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		n := ix.nodes.get(g)
		for _, child := range n.children {
			if !groups[child] {
				groups[child] = true
				queue = append(queue, child)
			}
		}
		err := tx.MembersOf(org, n.subject, func(m model.Subject) bool {
			if m.Type == model.SubjectUser {
				users = append(users, m.ID)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(users)
	users = slices.Compact(users)
	// One closure and one path buffer serve every user in turn.
	c := &closure{via: make(map[sid]sid)}
	var buf pathBuf
	for _, user := range users {
		if !ix.fillClosure(c, org, user) {
			continue
		}
		level, via, denied := ix.decideOver(&ec, c, now, &buf)
		if level >= minLevel {
			out = append(out, UserAccess{User: user, Level: level, Via: via, Denied: denied})
		}
	}
	return out, nil
}
