package resolve

import (
	"cmp"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Hierarchy (docs/design.md §2.11): grants on an entity apply to every entity
// below it. Each linked entity has an entityNode holding its direct parents
// and children and, derived from them, the set of every entity above it, as
// each group holds its ancestors: Check visits the entity and its ancestors,
// so its cost follows the depth of the tree (and the parents along the way),
// never the number of entities below. A link change recomputes the sets of
// the child and of the entities below it only.

// entityNode is what the index knows about one linked entity. It is
// immutable once published: a commit that changes an entity's links replaces
// its node.
type entityNode struct {
	parents   []entityKey
	children  []entityKey
	ancestors []entityKey // every entity above, each once, sorted; never itself
}

func (n *entityNode) clone() *entityNode {
	return &entityNode{
		parents:   slices.Clone(n.parents),
		children:  slices.Clone(n.children),
		ancestors: n.ancestors, // replaced whole, never written in place
	}
}

func hashEntityKey(k entityKey) uint64 { return hashEntity(k.org, k.id) }

func keyOfEntity(org string, e model.EntityRef) entityKey { return entityKey{org, e.Type, e.ID} }

func (k entityKey) ref() model.EntityRef { return model.EntityRef{Type: k.typ, ID: k.id} }

func compareEntityKeys(a, b entityKey) int {
	return cmp.Or(strings.Compare(a.org, b.org), strings.Compare(a.typ, b.typ), strings.Compare(a.id, b.id))
}

// entityNode returns the node of entity k, or nil when it has no links.
func (ix *Index) entityNode(k entityKey) *entityNode {
	if ix == nil || ix.linkCount == 0 {
		return nil
	}
	if r := ix.entityRec(k); r != nil {
		return r.link
	}
	return nil
}

// linkBuilder derives one revision's entity nodes from the previous one's,
// in the records of the revision's entityBuilder.
type linkBuilder struct {
	ents *entityBuilder
	// ownedLink are the records whose node this revision has copied.
	ownedLink map[*entityRec]bool
	moved     []entityKey
	count     int
}

// node returns the node of k, or nil.
func (b *linkBuilder) node(k entityKey) *entityNode {
	if r := b.ents.get(k); r != nil {
		return r.link
	}
	return nil
}

// own returns the node of k, copied first unless this revision already owns
// it, or created.
func (b *linkBuilder) own(k entityKey) *entityNode {
	r := b.ents.own(k)
	if !b.ownedLink[r] {
		if r.link != nil {
			r.link = r.link.clone()
		} else {
			r.link = &entityNode{}
		}
		b.ownedLink[r] = true
	}
	return r.link
}

func (b *linkBuilder) change(lc *store.LinkChange) {
	child, parent := keyOfEntity(lc.Org, lc.Link.Child), keyOfEntity(lc.Org, lc.Link.Parent)
	cur := b.node(child)
	linked := cur != nil && slices.Contains(cur.parents, parent)
	if lc.Deleted == !linked {
		return // adding a link that is there, or removing one that is not
	}
	cn, pn := b.own(child), b.own(parent)
	if lc.Deleted {
		cn.parents = slices.DeleteFunc(cn.parents, func(k entityKey) bool { return k == parent })
		pn.children = slices.DeleteFunc(pn.children, func(k entityKey) bool { return k == child })
		b.count--
	} else {
		cn.parents = append(cn.parents, parent)
		pn.children = append(pn.children, child)
		b.count++
	}
	b.moved = append(b.moved, child)
}

// recompute gives every moved entity, and every entity below one, the
// ancestor set of its new parents, parents first (and marks their check
// arrays for rebuilding); then drops the nodes left with no link. The
// engine refuses cycles; one that got here anyway is cut rather than
// followed forever.
func (b *linkBuilder) recompute() {
	if len(b.moved) == 0 {
		return
	}
	const (
		pending = 1
		working = 2
		done    = 3
	)
	state := make(map[entityKey]uint8)
	queue := slices.Clone(b.moved)
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if state[k] != 0 {
			continue
		}
		state[k] = pending
		if n := b.node(k); n != nil {
			queue = append(queue, n.children...)
		}
	}
	var compute func(k entityKey)
	compute = func(k entityKey) {
		if state[k] != pending {
			return
		}
		state[k] = working
		n := b.own(k)
		var set []entityKey
		for _, p := range n.parents {
			compute(p)
			set = append(set, p)
			if pn := b.node(p); pn != nil {
				set = append(set, pn.ancestors...)
			}
		}
		slices.SortFunc(set, compareEntityKeys)
		set = slices.Compact(set)
		n.ancestors = slices.DeleteFunc(set, func(a entityKey) bool { return a == k })
		b.ents.changed = append(b.ents.changed, k)
		state[k] = done
	}
	for k := range state {
		compute(k)
	}
	for r := range b.ownedLink {
		if len(r.link.parents) == 0 && len(r.link.children) == 0 {
			r.link = nil
			b.ents.settle(r)
		}
	}
}

// entityClosure is an entity and every entity above it, each with the
// shortest chain of links that leads up to it from the entity; among
// shortest chains the least, comparing entity by entity from the asked one
// on (type bytes, then id bytes), found breadth-first as closure finds a
// user's subjects.
type entityClosure struct {
	// up holds the entities breadth-first, in chain order; up[0] is the
	// entity asked about.
	up []reachedEntity
}

// reachedEntity is one entity of an entityClosure: its key, the position
// of the entity before it on its chain (-1 for the entity asked about), and
// its record (nil when it holds nothing).
type reachedEntity struct {
	key entityKey
	via int32
	rec *entityRec
}

// fillEntityClosure makes ec entity's closure in org, reusing its slices, so
// that a list deciding entity after entity allocates nothing for the many
// entities that have no links.
func (ix *Index) fillEntityClosure(ec *entityClosure, org string, entity model.EntityRef) {
	k := keyOfEntity(org, entity)
	ec.up = append(ec.up[:0], reachedEntity{key: k, via: -1})
	if n := ix.entityNode(k); n != nil && len(n.parents) > 0 {
		seen := map[entityKey]bool{k: true}
		type reached struct {
			k    entityKey
			from int32
		}
		level := []int32{0}
		for len(level) > 0 {
			var next []reached
			for _, pos := range level {
				cur := ix.entityNode(ec.up[pos].key)
				if cur == nil {
					continue
				}
				for _, p := range cur.parents {
					if !seen[p] {
						seen[p] = true
						next = append(next, reached{p, pos})
					}
				}
			}
			// Positions of one level ascend in chain order, so ordering by
			// the position reached from, then by the entity, is chain order.
			slices.SortFunc(next, func(a, b reached) int {
				return cmp.Or(cmp.Compare(a.from, b.from), compareEntityKeys(a.k, b.k))
			})
			level = level[:0]
			for _, r := range next {
				level = append(level, int32(len(ec.up)))
				ec.up = append(ec.up, reachedEntity{key: r.k, via: r.from})
			}
		}
	}
	for i := range ec.up {
		ec.up[i].rec = ix.entityRec(ec.up[i].key)
	}
}

func (ec *entityClosure) hasEntries() bool {
	for i := range ec.up {
		if r := ec.up[i].rec; r != nil && len(r.entries) > 0 {
			return true
		}
	}
	return false
}

// chain returns the entities from the asked one up to the one at pos, in a
// slice taken from buf.
func (ec *entityClosure) chain(pos int32, buf *pathBuf) []model.EntityRef {
	n := 1
	for p := pos; p != 0; p = ec.up[p].via {
		n++
	}
	out := buf.takeEntities(n)
	for p := pos; ; p = ec.up[p].via {
		n--
		out[n] = ec.up[p].key.ref()
		if p == 0 {
			break
		}
	}
	return out
}

// descendants calls fn with every entity below k, each once, until fn
// returns false.
func (ix *Index) descendants(k entityKey, seen map[entityKey]bool, fn func(entityKey) bool) bool {
	n := ix.entityNode(k)
	if n == nil {
		return true
	}
	for _, c := range n.children {
		if seen[c] {
			continue
		}
		seen[c] = true
		if !fn(c) || !ix.descendants(c, seen, fn) {
			return false
		}
	}
	return true
}
