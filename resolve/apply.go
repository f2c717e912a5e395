package resolve

import (
	"runtime"
	"slices"
	"sync"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Apply returns the index of the revision that cs commits on top of ix's. ix
// is left unchanged, so readers still holding it keep a consistent view.
//
// The cost follows the size of the change, not of the index: a one-grant
// commit copies one shard of the entity map and a few small arrays; a large
// commit touches each entity once, whatever the number of changes to it. A
// membership change recomputes the ancestor sets of the member group and the
// groups below it, and the closures of the users in those groups (or of the
// member user) only.
func (ix *Index) Apply(cs store.ChangeSet) *Index {
	if ix == nil {
		ix = &Index{}
	}
	if len(cs.Grants) == 0 && len(cs.Memberships) == 0 && len(cs.Links) == 0 {
		next := *ix // nothing the index holds changed (a commit of other rows)
		next.rev = cs.Revision
		return &next
	}
	names := newNameBuilder(ix)
	b := &indexBuilder{
		ents: &entityBuilder{
			m:     newCowMapBuilder(ix.entities),
			names: names,
			owned: make(map[*entityRec]bool),
		},
		names:    names,
		subjects: newCowMapBuilder(ix.subjects),
		nodes:    newNodeVecBuilder(ix.nodes),
		owned:    make(map[sid]bool),
		firstNew: ix.nodes.n + 1,
		grants:   ix.grants,
		denies:   ix.denies,
	}
	for i := range cs.Memberships {
		b.membership(&cs.Memberships[i])
	}
	b.grantChanges(cs.Grants)
	b.recomputeAncestors()
	// The nodes changed in place since they were put in the map; users
	// below a group whose ancestors changed keep their node but not their
	// closure.
	for s := range b.owned {
		b.settle(s)
	}
	for s := b.firstNew; s <= b.nodes.v.n; s++ {
		b.settle(s)
	}
	for _, s := range b.stale {
		if !b.isOwned(s) {
			b.settleUser(s)
		}
	}
	linkCount := ix.linkCount
	if len(cs.Links) > 0 {
		lb := newLinkBuilder(b.ents, ix.linkCount, len(cs.Links))
		if len(cs.Links) >= reserveAt {
			lb.reserve(cs.Links)
		}
		for i := range cs.Links {
			lb.change(&cs.Links[i])
		}
		lb.recompute()
		linkCount = lb.count
	}
	if ix.grants > 0 || b.grants > 0 {
		b.ents.refreshChecks()
	}
	// else no record holds a grant, before or after: every check array is
	// empty, and stays so whatever moved (an organisation's links loaded
	// before its grants rebuild none).
	b.ents.dropChecks()
	return &Index{
		rev:       cs.Revision,
		entities:  b.ents.m.done(),
		subjects:  b.subjects.done(),
		names:     names.m.done(),
		nameCount: names.n,
		nodes:     b.nodes.done(),
		grants:    b.grants,
		linkCount: linkCount,
		denies:    b.denies,
	}
}

// indexBuilder derives one revision from the previous one.
type indexBuilder struct {
	ents     *entityBuilder
	subjects *cowMapBuilder[mapKey, subjectVal]
	names    *nameBuilder
	nodes    *nodeVecBuilder
	// owned are the nodes of the previous revision copied in this one, and
	// firstNew the first sid this revision created: the nodes of both may be
	// changed in place (isOwned).
	owned    map[sid]bool
	firstNew sid
	// moved are the groups whose parents changed: they and every group below
	// them need their ancestor sets recomputed.
	moved []sid
	// stale are the users whose groups' ancestors changed: their closures
	// are recomputed.
	stale   []sid
	closure []sid // scratch for settleUser
	grants  int
	denies  int
	// last is the member the latest added membership interned.
	last struct {
		org    string
		member model.Subject
		sid    sid
	}
}

// isOwned reports whether this revision copied or created node s.
func (b *indexBuilder) isOwned(s sid) bool { return s >= b.firstNew || b.owned[s] }

// settle puts node s, which this revision owns, in the subject map: a
// group as it is, a user with its closure.
func (b *indexBuilder) settle(s sid) {
	n := b.nodes.get(s)
	if s >= b.firstNew && (n.isGroup() || len(n.parents) == 0) {
		// intern put the value: a group's names its node, changed in
		// place since, and a user in no group has no closure.
		return
	}
	if n.isGroup() {
		h, k := n.key()
		b.subjects.set(h, k, groupVal(n))
	} else {
		b.settleUser(s)
	}
}

func (b *indexBuilder) lookup(org string, s model.Subject) sid {
	o, ok := b.names.lookup(org)
	if !ok {
		return 0
	}
	k := mapKey{o, subjectTypeCode(s.Type), keyIDOf(s.ID)}
	if v, ok := b.subjects.get(hashSubject(org, s.ID), k); ok {
		return v.id
	}
	return 0
}

// intern returns the sid of s in org, adding a node for it when it is new.
func (b *indexBuilder) intern(org string, s model.Subject) sid {
	h, k := hashSubject(org, s.ID), b.names.subjectKey(org, s)
	if v, ok := b.subjects.get(h, k); ok {
		return v.id
	}
	n := &node{subject: s, org: org, orgNum: k.org}
	n.id = b.nodes.add(n)
	if s.Type.IsGroup() {
		n.setAncestors([]sid{n.id})
	} else {
		n.parents = n.inline[:0:inlineSids]
	}
	b.subjects.add(h, k, groupVal(n))
	return n.id
}

// own returns the node of s, copied first unless this revision already owns
// it. Both the sid vector and the subject map point at the copy.
func (b *indexBuilder) own(s sid) *node {
	n := b.nodes.get(s)
	if b.isOwned(s) {
		return n
	}
	n = n.clone()
	b.nodes.set(s, n)
	h, k := n.key()
	v, _ := b.subjects.get(h, k)
	v.node = n // a user keeps its closure until settleUser
	b.subjects.set(h, k, v)
	b.owned[s] = true
	return n
}

// settleUser computes the closure of user s from its parents' ancestors
// and puts it in the user's map value (only there: a user whose groups'
// ancestors changed keeps its node, so that a group move copies no node
// and no chunk of the node vector).
func (b *indexBuilder) settleUser(s sid) {
	n := b.nodes.get(s)
	set := b.closure[:0]
	for _, p := range n.parents {
		set = append(set, b.nodes.get(p).ancestors...)
	}
	slices.Sort(set)
	set = slices.Compact(set)
	b.closure = set
	h, k := n.key()
	v, _ := b.subjects.get(h, k)
	if old := v.closure(); slices.Equal(old, set) {
		if !b.isOwned(s) {
			return // neither node nor closure changed: the map value stands
		}
	}
	if len(set) > inlineClosure {
		set = slices.Clone(set)
	}
	b.subjects.set(h, k, userVal(n, set))
}

func (b *indexBuilder) membership(mc *store.MembershipChange) {
	m := mc.Membership
	if mc.Deleted {
		member, group := b.lookup(mc.Org, m.Member), b.lookup(mc.Org, m.Group)
		if member == 0 || group == 0 {
			return
		}
		mn := b.own(member)
		i := slices.Index(mn.parents, group)
		if i < 0 {
			return
		}
		mn.parents = slices.Delete(mn.parents, i, i+1)
		gn := b.own(group)
		if mn.isGroup() {
			if j := slices.Index(gn.children, member); j >= 0 {
				gn.children = slices.Delete(gn.children, j, j+1)
			}
			b.moved = append(b.moved, member)
		} else if j := slices.Index(gn.members, member); j >= 0 {
			gn.members = slices.Delete(gn.members, j, j+1)
		}
		return
	}
	// Writers list a member's memberships together: a run of them interns
	// the member once.
	if mc.Org != b.last.org || m.Member != b.last.member {
		b.last.org, b.last.member, b.last.sid = mc.Org, m.Member, b.intern(mc.Org, m.Member)
	}
	member, group := b.last.sid, b.intern(mc.Org, m.Group)
	if slices.Contains(b.nodes.get(member).parents, group) {
		return
	}
	mn := b.own(member)
	mn.parents = append(mn.parents, group)
	gn := b.own(group)
	if mn.isGroup() {
		gn.children = append(gn.children, member)
		b.moved = append(b.moved, member)
	} else {
		gn.members = append(gn.members, member)
	}
}

// recomputeAncestors gives every moved group, and every group below one, the
// ancestor set of its new parents. Groups are computed after their parents;
// the engine refuses cycles, and a cycle that got here anyway is cut rather
// than followed forever.
func (b *indexBuilder) recomputeAncestors() {
	if len(b.moved) == 0 {
		return
	}
	const (
		pending = 1
		working = 2
		done    = 3
	)
	state := make(map[sid]uint8)
	queue := append([]sid(nil), b.moved...)
	for len(queue) > 0 {
		s := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if state[s] != 0 {
			continue
		}
		state[s] = pending
		queue = append(queue, b.nodes.get(s).children...)
	}
	var compute func(s sid)
	compute = func(s sid) {
		if state[s] != pending {
			return
		}
		state[s] = working
		n := b.own(s)
		set := []sid{s}
		for _, p := range n.parents {
			compute(p)
			set = append(set, b.nodes.get(p).ancestors...)
		}
		slices.Sort(set)
		n.setAncestors(slices.Compact(set))
		b.stale = append(b.stale, n.members...)
		state[s] = done
	}
	for s := range state {
		compute(s)
	}
}

// grantChanges applies the grant changes, one pass per touched entity: the
// changes are chained per entity (latest first), then each entity's entries
// are rebuilt once from its old entries and the last change per (grantee,
// effect).
func (b *indexBuilder) grantChanges(gcs []store.GrantChange) {
	if len(gcs) == 0 {
		return
	}
	heads := newEntityHeads(len(gcs))
	next := make([]int32, len(gcs))
	grantees := make([]sid, len(gcs))
	// Writers usually list an entity's grants together: a run of changes
	// to one entity is chained without a probe per change, and its head
	// written when the run ends.
	var run entityKey
	var runHash uint64
	for i := range gcs {
		g := gcs[i].Grant
		if gcs[i].Deleted {
			grantees[i] = b.lookup(g.Org, g.Grantee)
		} else {
			grantees[i] = b.intern(g.Org, g.Grantee)
		}
		k := entityKey{g.Org, g.Entity.Type, g.Entity.ID}
		if i > 0 && k == run {
			next[i] = int32(i - 1)
			continue
		}
		if i > 0 {
			heads.set(runHash, run, int32(i-1), gcs)
		}
		// Numbered here, on one goroutine, because the entity passes
		// that follow may run two at once and so only look names up.
		b.names.cached(&b.names.org, k.org)
		b.names.cached(&b.names.typ, k.typ)
		run, runHash = k, hashEntityKey(k)
		next[i] = heads.get(runHash, k, gcs)
	}
	heads.set(runHash, run, int32(len(gcs)-1), gcs)
	pass := func(part int) *entityPass {
		return &entityPass{ents: b.ents, names: b.ents.reader(), gcs: gcs, next: next, grantees: grantees, part: part}
	}
	if len(gcs) < parallelEntitiesAt || runtime.GOMAXPROCS(0) < 2 {
		p := pass(-1)
		p.run(heads)
		b.merge(p)
		return
	}
	// The entities' passes are independent but for the maps they write:
	// the entity map's shards are split between two goroutines by their
	// middle array (partOf), with the top array this revision's own before
	// they start, so that neither writes it; the name map is only read.
	b.ents.m.ownTopArray()
	low, high := pass(0), pass(1)
	var wg sync.WaitGroup
	wg.Go(func() { high.run(heads) })
	low.run(heads)
	wg.Wait()
	b.merge(low)
	b.merge(high)
}

// parallelEntitiesAt is how many grant changes a commit has before its
// entities' records are built on two goroutines: a bulk write's, whose
// thousand or so entities repay starting one and merging after; the few
// entities of a smaller commit do not.
const parallelEntitiesAt = 8192

// reserveAt is how many changes a commit has before its entity map is
// sized for them first: below it, counting per shard costs more than the
// few tables that grow.
const reserveAt = 1024

// merge takes in what p did: the records it made, the entities whose check
// arrays need rebuilding, and the grants and denies it added or removed.
func (b *indexBuilder) merge(p *entityPass) {
	for _, r := range p.owned {
		b.ents.owned[r] = true
	}
	b.ents.changed = append(b.ents.changed, p.changed...)
	b.grants += p.grants
	b.denies += p.denies
}

// entityPass rebuilds the records of the entities a commit's grant changes
// touch, each once from its old entries and the last change per (grantee,
// effect): all of them, or those of one half of the entity map's shards.
// It writes only those shards of the map and its own fields.
type entityPass struct {
	ents     *entityBuilder
	names    *entityReader // of its own: a reader only looks names up
	gcs      []store.GrantChange
	next     []int32 // the change before each to the same entity, or -1
	grantees []sid
	part     int // -1: every entity; else those of one part of the map (partOf)

	seen         []grantSlot
	seenSet      map[grantSlot]bool
	rows, sorted []grantRow // reused from entity to entity

	owned   []*entityRec
	changed []entityKey
	grants  int
	denies  int
}

// run builds the records of the entities of heads that are p's, after
// making room for them in the map when they are many (a count per shard is
// not worth it for a small commit, whose tables rarely grow).
func (p *entityPass) run(heads *entityHeads) {
	if len(p.gcs) >= reserveAt {
		p.ents.m.reserve(heads.hashes, p.part)
	}
	for _, hs := range heads.slots {
		if hs.head == 0 || p.part >= 0 && partOf(hs.hash) != p.part {
			continue
		}
		p.entity(hs.hash, hs.head-1)
	}
}

// entity rebuilds the record of the entity whose hash is h and whose latest
// change is head.
func (p *entityPass) entity(h uint64, head int32) {
	gcs, next, grantees := p.gcs, p.next, p.grantees
	g := gcs[head].Grant
	k := entityKey{g.Org, g.Entity.Type, g.Entity.ID}
	mk, ok := p.names.mapKey(k)
	if !ok {
		// grantChanges numbers every org and type of the commit before
		// the passes: a key without its numbers would land elsewhere.
		panic("resolve: an entity's org or type has no number in its entity pass")
	}
	oldVal, _ := p.ents.m.get(h, mk)
	old := oldVal.rec
	// The last change per grantee wins; with few changes a slice is
	// cheaper than a set.
	p.seen, p.seenSet = p.seen[:0], nil
	rows := p.rows[:0]
	for i := head; i >= 0; i = next[i] {
		s := slotOf(grantees[i], effectOf(gcs[i].Grant.Effect))
		if p.seenSet != nil {
			if p.seenSet[s] {
				continue
			}
			p.seenSet[s] = true
		} else {
			if slices.Contains(p.seen, s) {
				continue
			}
			if len(p.seen) == 16 {
				p.seenSet = make(map[grantSlot]bool)
				for _, x := range p.seen {
					p.seenSet[x] = true
				}
				p.seenSet[s] = true
			}
		}
		p.seen = append(p.seen, s)
		if !gcs[i].Deleted {
			rows = append(rows, newGrantRow(gcs[i].Grant, grantees[i]))
		}
	}
	oldLen, oldDenies := 0, 0
	if old != nil {
		oldLen, oldDenies = len(old.entries), int(old.denies)
		for i, e := range old.entries {
			if !p.touched(slotOf(e.grantee, e.effect)) {
				rows = append(rows, grantRow{e: e, g: old.grants[i], w: old.window(i)})
			}
		}
	}
	p.rows = rows
	if old == nil && len(rows) == 0 {
		return // deletes of grants the index never held
	}
	p.sorted = sortRows(rows, p.sorted)
	// The grants are a revision's first step on entity records (Apply):
	// no record is its own yet, so an old one is copied.
	var r *entityRec
	if old != nil {
		r = old.clone()
	} else {
		r = &entityRec{key: k}
	}
	p.owned = append(p.owned, r)
	r.setRows(rows)
	p.grants += len(rows) - oldLen
	p.denies += int(r.denies) - oldDenies
	switch {
	case r.link != nil:
		// Its check array holds the entries of the entities above it,
		// and those below it hold its own: refreshChecks rebuilds them.
		p.ents.put(h, mk, r)
		p.changed = append(p.changed, k)
	case len(r.entries) == 0:
		if old != nil {
			p.ents.m.delete(h, mk)
		}
	default:
		// No entity above or below it (a link this commit adds marks
		// it for refreshChecks then): its check array is its entries.
		r.check, r.checkWindows, r.checkInline = r.entries, r.windows, false
		p.ents.put(h, mk, r)
	}
}

// touched reports whether the entity's changes include one to slot s.
func (p *entityPass) touched(s grantSlot) bool {
	if p.seenSet != nil {
		return p.seenSet[s]
	}
	return slices.Contains(p.seen, s)
}

// entityHeads maps an entity, by its hash in the entity map, to the latest
// of a commit's grant changes to it (whose grant names the entity, so that
// the table holds no key): a linear-probing table of 16-byte slots, which
// hashes each entity once for both itself and the entity map.
type entityHeads struct {
	slots []headSlot // a power of two
	n     int
}

type headSlot struct {
	hash uint64
	head int32 // the change's index + 1; 0: empty
}

// hashes yields the hash of every entity the table holds.
func (t *entityHeads) hashes(yield func(uint64) bool) {
	for _, s := range t.slots {
		if s.head != 0 && !yield(s.hash) {
			return
		}
	}
}

func newEntityHeads(changes int) *entityHeads {
	// Bulk writers put about ten grants on an entity.
	n := 16
	for n*3 < changes/2 {
		n *= 2
	}
	return &entityHeads{slots: make([]headSlot, n)}
}

func grantEntityIs(g *model.Grant, k entityKey) bool {
	return g.Entity.ID == k.id && g.Entity.Type == k.typ && g.Org == k.org
}

// get returns the latest change to k, whose hash is h, or -1.
func (t *entityHeads) get(h uint64, k entityKey, gcs []store.GrantChange) int32 {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; t.slots[i].head != 0; i = (i + 1) & mask {
		if s := t.slots[i]; s.hash == h && grantEntityIs(gcs[s.head-1].Grant, k) {
			return s.head - 1
		}
	}
	return -1
}

// set makes change i the latest to k, whose hash is h.
func (t *entityHeads) set(h uint64, k entityKey, i int32, gcs []store.GrantChange) {
	mask := uint64(len(t.slots) - 1)
	j := h & mask
	for ; t.slots[j].head != 0; j = (j + 1) & mask {
		if s := t.slots[j]; s.hash == h && grantEntityIs(gcs[s.head-1].Grant, k) {
			t.slots[j].head = i + 1
			return
		}
	}
	t.slots[j] = headSlot{hash: h, head: i + 1}
	if t.n++; t.n*4 > len(t.slots)*3 {
		old := t.slots
		t.slots = make([]headSlot, 2*len(old))
		mask = uint64(len(t.slots) - 1)
		for _, s := range old {
			if s.head != 0 {
				j := s.hash & mask
				for t.slots[j].head != 0 {
					j = (j + 1) & mask
				}
				t.slots[j] = s
			}
		}
	}
}

// grantSlot is what a grant is unique by within one entity: its grantee and
// its effect.
type grantSlot uint64

func slotOf(s sid, f effect) grantSlot { return grantSlot(s)<<1 | grantSlot(f) }
