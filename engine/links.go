package engine

import (
	"context"
	"errors"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// LinkEntities puts each link's Child inside its Parent in org, all or none:
// grants on a parent, allows and denies, then apply to its children and
// everything below them. An entity may sit in several parents. A link that
// is malformed (ErrValidation naming child_type, child_id, parent_type or
// parent_id), of an entity to itself, or one that would close a cycle
// (ErrConflict on parent_id) refuses the call, and nothing is linked. Links
// that already exist are no-ops.
func (e *Engine) LinkEntities(ctx context.Context, org string, links ...model.EntityLink) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, l := range links {
			if err := e.val.EntityLink(l); err != nil {
				return err
			}
		}
		// The transaction has written nothing yet: reading it is reading
		// what is stored.
		if err := newLinkGraph(&tx.ReadTxn, org, links).refuseCycle(); err != nil {
			return err
		}
		// The index is derived on the other core while the links are
		// stored.
		_, err := tx.AddLinksThen(org, links, func() { e.deriveEarly(tx) })
		return err
	})
	return err
}

// UnlinkEntities removes links from org, all in one commit. Removing one that
// is not there is a no-op (an entity "inside itself" included); a malformed
// one refuses the call as in LinkEntities, and nothing is removed.
func (e *Engine) UnlinkEntities(ctx context.Context, org string, links ...model.EntityLink) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, l := range links {
			if err := e.val.EntityLink(l); err != nil && !errors.Is(err, model.ErrConflict) {
				return err
			}
		}
		for _, l := range links {
			if _, err := tx.RemoveLink(org, l); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// linkGraph is the links of org that are stored, read once per entity as
// the check reaches it, together with the links of one call: the cycle
// check of a whole call in one pass instead of a walk of the store per
// link.
type linkGraph struct {
	tx    *store.ReadTxn
	org   string
	links []model.EntityLink
	// added are the parents each child gains in the call, in call order
	// (each an index into links).
	added map[model.EntityRef][]int32
	// stored are the stored parents of each entity read so far; nil when
	// org has no stored link, so that a first load reads nothing.
	stored map[model.EntityRef][]model.EntityRef
	err    error
}

func newLinkGraph(tx *store.ReadTxn, org string, links []model.EntityLink) *linkGraph {
	g := &linkGraph{tx: tx, org: org, links: links, added: make(map[model.EntityRef][]int32, len(links))}
	g.err = tx.Links(org, func(model.EntityLink) bool {
		g.stored = make(map[model.EntityRef][]model.EntityRef, 2*len(links))
		return false
	})
	for i, l := range links {
		g.added[l.Child] = append(g.added[l.Child], int32(i))
	}
	return g
}

// storedParents returns the stored parents of e, reading the store the
// first time it is asked about e.
func (g *linkGraph) storedParents(e model.EntityRef) []model.EntityRef {
	if g.stored == nil {
		return nil
	}
	if ps, ok := g.stored[e]; ok {
		return ps
	}
	var ps []model.EntityRef
	if err := g.tx.ParentsOf(g.org, e, func(p model.EntityRef) bool {
		ps = append(ps, p)
		return true
	}); err != nil && g.err == nil {
		g.err = err
	}
	g.stored[e] = ps
	return ps
}

// refuseCycle returns the ErrConflict of the first link of the call (in
// its order) that would close a cycle with the stored links and those
// before it, or nil when none does. The stored links hold no cycle, so the
// call closes one exactly when the graph of both has one: one depth-first
// walk up from the call's children tells, and only then does each link,
// one after the other, need a walk of its own to name the first.
func (g *linkGraph) refuseCycle() error {
	if !g.hasCycle() {
		return g.err
	}
	if g.err != nil {
		return g.err
	}
	for i, l := range g.links {
		if g.reaches(l.Parent, l.Child, int32(i)) {
			return model.NewError(model.CodeConflict, model.FieldParentID,
				"%s is already inside %s: putting %s inside %s would close a cycle", l.Parent, l.Child, l.Child, l.Parent)
		}
	}
	return g.err
}

// parents calls fn with each parent of e: stored, then those the call's
// links before limit give it.
func (g *linkGraph) parents(e model.EntityRef, limit int32, fn func(p model.EntityRef)) {
	for _, p := range g.storedParents(e) {
		fn(p)
	}
	for _, i := range g.added[e] {
		if i >= limit {
			break
		}
		fn(g.links[i].Parent)
	}
}

// hasCycle reports whether the stored links and all of the call's close a
// cycle.
func (g *linkGraph) hasCycle() bool {
	const (
		onPath = 1
		done   = 2
	)
	state := make(map[model.EntityRef]uint8, 2*len(g.added))
	type frame struct {
		e      model.EntityRef
		stored []model.EntityRef // its stored parents not walked yet
		added  []int32           // its parents from the call not walked yet
	}
	var stack []frame
	push := func(e model.EntityRef) {
		state[e] = onPath
		stack = append(stack, frame{e: e, stored: g.storedParents(e), added: g.added[e]})
	}
	for child := range g.added {
		if state[child] != 0 {
			continue
		}
		push(child)
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			var p model.EntityRef
			switch {
			case len(top.stored) > 0:
				p, top.stored = top.stored[0], top.stored[1:]
			case len(top.added) > 0:
				p, top.added = g.links[top.added[0]].Parent, top.added[1:]
			default:
				state[top.e] = done
				stack = stack[:len(stack)-1]
				continue
			}
			switch state[p] {
			case onPath:
				return true
			case 0:
				push(p)
			}
		}
	}
	return false
}

// reaches reports whether target is from itself or an entity above it
// along the stored links and the call's links before limit.
func (g *linkGraph) reaches(from, target model.EntityRef, limit int32) bool {
	seen := map[model.EntityRef]bool{from: true}
	queue := []model.EntityRef{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			return true
		}
		g.parents(cur, limit, func(p model.EntityRef) {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		})
	}
	return false
}
