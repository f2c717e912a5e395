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
	// work holds the entities whose node this revision has copied (or
	// made), with their records: one map a touched entity is found in,
	// whatever the step, instead of a lookup of the entity map and of a
	// set of copied records at each.
	//
	// It is keyed by the entity's hash in the entity map (entities whose
	// hashes collide chain through linkWork.next): a map of three-string
	// keys would hash every key again, and compare whole strings, at each
	// of the several lookups a link makes.
	work  map[uint64]*linkWork
	moved []*linkWork
	count int
}

// linkWork is one entity whose node a linkBuilder owns.
type linkWork struct {
	key   entityKey
	rec   *entityRec // this revision's own, whose link this revision owns
	next  *linkWork  // another entity of the same hash
	state uint8      // the step of recompute it is at
}

// newLinkBuilder returns a builder on ents for about changes link changes
// to an index of count links.
func newLinkBuilder(ents *entityBuilder, count, changes int) *linkBuilder {
	return &linkBuilder{ents: ents, work: make(map[uint64]*linkWork, 2*changes), count: count}
}

// owned returns the work of k, whose hash is h, when this revision owns
// its node; nil otherwise.
func (b *linkBuilder) owned(h uint64, k entityKey) *linkWork {
	for w := b.work[h]; w != nil; w = w.next {
		if w.key == k {
			return w
		}
	}
	return nil
}

// own returns k with its node, copied first unless this revision already
// owns it, or created.
func (b *linkBuilder) own(k entityKey) *linkWork { return b.ownHashed(hashEntityKey(k), k) }

// ownHashed is own of k, whose hash is h.
func (b *linkBuilder) ownHashed(h uint64, k entityKey) *linkWork {
	if w := b.owned(h, k); w != nil {
		return w
	}
	r := b.ents.ownHashed(h, k)
	if r.link != nil {
		r.link = r.link.clone()
	} else {
		r.link = &entityNode{}
	}
	w := &linkWork{key: k, rec: r, next: b.work[h]}
	b.work[h] = w
	return w
}

// reserve makes room in the entity map for the entities of links, so that
// a large commit's tables grow once rather than doubling on the way. An
// entity the map holds already is counted too (finding out would cost a
// lookup each), and its table trimmed when the revision is done: a copy,
// paid only where links join entities that hold something.
func (b *linkBuilder) reserve(links []store.LinkChange) {
	hashes := make([]uint64, 0, 2*len(links))
	for i := range links {
		lc := &links[i]
		hashes = append(hashes, hashEntity(lc.Org, lc.Link.Child.ID), hashEntity(lc.Org, lc.Link.Parent.ID))
	}
	// Each entity once: a parent holds many children, and a table sized
	// for repeats would be trimmed, a copy, when the revision is done.
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	b.ents.m.reserve(slices.Values(hashes), -1)
}

func (b *linkBuilder) change(lc *store.LinkChange) {
	child, parent := keyOfEntity(lc.Org, lc.Link.Child), keyOfEntity(lc.Org, lc.Link.Parent)
	// The store lists only links it added or removed, so the child is
	// owned before looking: a no-op (which replaying a journal twice could
	// give) leaves at worst a copied node, dropped by recompute when empty.
	cw := b.ownHashed(hashEntity(lc.Org, lc.Link.Child.ID), child)
	cn := cw.rec.link
	if lc.Deleted != slices.Contains(cn.parents, parent) {
		return // adding a link that is there, or removing one that is not
	}
	pn := b.ownHashed(hashEntity(lc.Org, lc.Link.Parent.ID), parent).rec.link
	if lc.Deleted {
		cn.parents = slices.DeleteFunc(cn.parents, func(k entityKey) bool { return k == parent })
		pn.children = slices.DeleteFunc(pn.children, func(k entityKey) bool { return k == child })
		b.count--
	} else {
		cn.parents = append(cn.parents, parent)
		pn.children = append(pn.children, child)
		b.count++
	}
	b.moved = append(b.moved, cw)
}

// recompute gives every moved entity, and every entity below one, the
// ancestor set of its new parents, parents first (and marks their check
// arrays for rebuilding); then drops the nodes left with no link. Each
// entity is computed once per revision, however many of its links or of
// its ancestors' changed. The engine refuses cycles; one that got here
// anyway is cut rather than followed forever.
func (b *linkBuilder) recompute() {
	defer b.dropEmpty()
	if len(b.moved) == 0 {
		return
	}
	const (
		pending = 1
		working = 2
		done    = 3
	)
	var below []*linkWork // the moved entities and every entity below one
	queue := b.moved
	for len(queue) > 0 {
		w := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if w.state != 0 {
			continue
		}
		w.state = pending
		below = append(below, w)
		for _, c := range w.rec.link.children {
			if cw := b.own(c); cw.state == 0 {
				queue = append(queue, cw)
			}
		}
	}
	var compute func(w *linkWork)
	// above returns the ancestors of p, computed first when p is below a
	// moved entity.
	above := func(p entityKey) []entityKey {
		h := hashEntityKey(p)
		if pw := b.owned(h, p); pw != nil {
			compute(pw)
			return pw.rec.link.ancestors
		}
		if r := b.ents.getHashed(h, p); r != nil && r.link != nil {
			return r.link.ancestors
		}
		return nil
	}
	compute = func(w *linkWork) {
		if w.state != pending {
			return
		}
		w.state = working
		n := w.rec.link
		var set []entityKey
		if len(n.parents) == 1 {
			// The common case, a tree: the parent's sorted set and the
			// parent itself in its place.
			p := n.parents[0]
			anc := above(p)
			i, _ := slices.BinarySearchFunc(anc, p, compareEntityKeys)
			set = make([]entityKey, 0, len(anc)+1)
			set = append(append(append(set, anc[:i]...), p), anc[i:]...)
		} else {
			for _, p := range n.parents {
				set = append(set, p)
				set = append(set, above(p)...)
			}
			slices.SortFunc(set, compareEntityKeys)
			set = slices.Compact(set)
		}
		n.ancestors = slices.DeleteFunc(set, func(a entityKey) bool { return a == w.key })
		b.ents.changed = append(b.ents.changed, w.key)
		w.state = done
	}
	for _, w := range below {
		compute(w)
	}
}

// dropEmpty drops the nodes this revision left with no link.
func (b *linkBuilder) dropEmpty() {
	for _, chain := range b.work {
		for w := chain; w != nil; w = w.next {
			if r := w.rec; len(r.link.parents) == 0 && len(r.link.children) == 0 {
				r.link = nil
				b.ents.settle(r)
			}
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
