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
	// The candidates are the entities the user's subjects hold an allow of
	// the level or more on, and every entity below those; they are listed
	// first, then decided in order, so that the answer needs no sorting.
	seen := make(map[entityKey]bool)
	var keys []entityKey
	add := func(k entityKey) bool {
		if q.EntityType == "" || k.typ == q.EntityType {
			keys = append(keys, k)
		}
		return true
	}
	for _, s := range c.order {
		tx.EachGrantTo(org, ix.nodes.get(s).subject, func(g *model.Grant) bool {
			// With links, a grant on an entity of another type can reach
			// entities of the asked type below it.
			if g.Effect != model.EffectAllow || g.Level < minLevel || (ix.linkCount == 0 && q.EntityType != "" && g.Entity.Type != q.EntityType) {
				return true
			}
			k := keyOfEntity(org, g.Entity)
			if seen[k] {
				return true
			}
			seen[k] = true
			add(k)
			ix.descendants(k, seen, add)
			return true
		})
	}
	slices.SortFunc(keys, func(a, b entityKey) int {
		return cmp.Or(strings.Compare(a.typ, b.typ), strings.Compare(a.id, b.id))
	})
	out = make([]Decision, 0, len(keys))
	var ec entityClosure
	var buf pathBuf // shared by every decision's paths
	for _, k := range keys {
		ix.fillEntityClosure(&ec, org, k.ref())
		level, via, denied := ix.decideOver(&ec, c, now, &buf)
		if level >= minLevel {
			out = append(out, Decision{Entity: k.ref(), Level: level, Via: via, Denied: denied})
		}
	}
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
	// Each user is decided from its groups' ancestor sets, as Check decides,
	// and only the paths kept are traced, from the distances below each
	// grantee (computed once per grantee, not once per user).
	out = make([]UserAccess, 0, len(users))
	a := audience{ix: ix, below: make(map[sid]map[sid]int32)}
	var buf pathBuf
	for _, user := range users {
		a.uv = ix.user(org, user)
		if a.uv.node == nil {
			continue
		}
		a.m = userMatcher(&a.uv)
		a.user = a.uv.node
		level, via, denied := ix.decideOver(&ec, &a, now, &buf)
		if level >= minLevel {
			out = append(out, UserAccess{User: user, Level: level, Via: via, Denied: denied})
		}
	}
	return out, nil
}

// audience is one user of UsersWithAccess as decideOver reads it: which
// entries reach the user (from its groups' ancestor sets), and the chain to
// a grantee, traced from the user up through the groups on a shortest chain,
// taking at each step the least group (in chain order) that is still on
// one. That greedy walk gives the least of the shortest chains, the one a
// closure's breadth-first search gives, without searching the user's
// every group.
type audience struct {
	ix   *Index
	m    matcher
	uv   subjectVal // the user's map value, which m reads
	user *node
	// below holds, per grantee group, the distance from each group at or
	// below it up to it, filled on first use.
	below map[sid]map[sid]int32
}

func (a *audience) applies(e *entry) bool { return a.m.applies(e) }

func (a *audience) chain(grantee sid, buf *pathBuf) []model.Subject {
	if grantee == a.user.id {
		out := buf.takeSubjects(1)
		out[0] = a.user.subject
		return out
	}
	dist := a.distances(grantee)
	d := int32(-1)
	for _, p := range a.user.parents {
		if x, ok := dist[p]; ok && (d < 0 || x < d) {
			d = x
		}
	}
	if d < 0 {
		return a.slowChain(grantee, buf)
	}
	out := buf.takeSubjects(int(d) + 2)
	out[0] = a.user.subject
	from := a.user.parents
	for i := 1; i < len(out); i++ {
		var best *node
		for _, p := range from {
			if x, ok := dist[p]; ok && x == d {
				if n := a.ix.nodes.get(p); best == nil || compareSubjects(n.subject, best.subject) < 0 {
					best = n
				}
			}
		}
		if best == nil {
			return a.slowChain(grantee, buf)
		}
		out[i] = best.subject
		from = best.parents
		d--
	}
	return out
}

// distances returns, for each group at or below group g (following
// children), the length of its shortest chain of memberships up to g.
func (a *audience) distances(g sid) map[sid]int32 {
	if dist, ok := a.below[g]; ok {
		return dist
	}
	dist := map[sid]int32{g: 0}
	level := []sid{g}
	for d := int32(1); len(level) > 0; d++ {
		var next []sid
		for _, s := range level {
			for _, c := range a.ix.nodes.get(s).children {
				if _, ok := dist[c]; !ok {
					dist[c] = d
					next = append(next, c)
				}
			}
		}
		level = next
	}
	a.below[g] = dist
	return dist
}

// slowChain traces the chain with the user's whole closure: for an index
// whose children and ancestor sets disagree, which should never be.
func (a *audience) slowChain(grantee sid, buf *pathBuf) []model.Subject {
	c := a.ix.closureOf(a.user.org, a.user.subject.ID)
	return c.chain(grantee, buf)
}
