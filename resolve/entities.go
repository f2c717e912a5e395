package resolve

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/grantdb/grantdb/model"
)

// entityRec is what the index knows about one entity that holds grants or
// links. It is immutable once published: a commit that changes the entity's
// grants or links, or the grants of an entity above it, replaces its record.
type entityRec struct {
	// entries are the entity's own grants, sorted by level, highest first
	// (then by grant id); grants runs parallel to them (the stored rows),
	// and windows holds the windows of those that have one (see entry.win).
	entries []entry
	grants  []*model.Grant
	windows []window
	// check holds the entries of the entity and of every entity above it,
	// sorted by level, highest first: what Check reads, in one array, so
	// that a check of a filed document reads no folder. For an entity
	// without a parent it is entries. checkWindows holds their windows as
	// windows does for entries.
	check        []entry
	checkWindows []window
	// checkInline says the check array is held only in the map slot
	// (check is nil): a separate array that fits inline and has no window
	// is dropped when the revision is done (entityBuilder.dropChecks).
	checkInline bool
	denies      int32 // deny entries among entries
	key         entityKey
	// link holds the entity's parents, children and ancestor keys, nil when
	// it has no link (links.go).
	link *entityNode
}

// entityVal is what the entity map holds: the record and, inline when it
// has at most inlineChecks entries (most entities' have), a copy of the
// check array that Check scans, so that a check reads the entity's slot
// (256 bytes, four adjacent cache lines whose misses overlap) and nothing
// after it, unless an entry has a window. The copy holds each entry as its
// grantee and a byte of the rest (entryMeta); a longer array is read from
// the record.
type entityVal struct {
	rec      *entityRec
	n        uint32 // entries in the check array
	grantees [inlineChecks]sid
	metas    [inlineChecks]entryMeta
}

// inlineChecks is the most check entries an entity slot holds inline: what
// fills it to 256 bytes.
const inlineChecks = 29

// entryMeta is an entry without its grantee: the level in the low bits,
// then the flags below.
type entryMeta uint8

const (
	metaLevel  entryMeta = 3
	metaDeny   entryMeta = 1 << 2
	metaToUser entryMeta = 1 << 3
	metaWindow entryMeta = 1 << 4 // active only within its window (win)
)

func metaOf(e entry) entryMeta {
	m := entryMeta(e.level) & metaLevel
	if e.effect == effectDeny {
		m |= metaDeny
	}
	if e.toUser {
		m |= metaToUser
	}
	if e.win != 0 {
		m |= metaWindow
	}
	return m
}

// entityValOf returns the map value of r.
func entityValOf(r *entityRec) entityVal {
	v := entityVal{rec: r, n: uint32(len(r.check))}
	if len(r.check) <= inlineChecks {
		for i, e := range r.check {
			v.grantees[i], v.metas[i] = e.grantee, metaOf(e)
		}
	}
	return v
}

// entry is one grant on an entity in the form the hot path reads: eight
// bytes, with no pointer, so that an entity's entries fill one or two cache
// lines and the collector never scans them.
type entry struct {
	grantee sid // the interned grantee
	level   model.Level
	effect  effect
	toUser  bool // the grantee is a user, so only that user can match
	// win is 0 for a grant without a time window, else where its window
	// is: windows[win-1], or windows[i] for the entry at i when win is
	// winParallel (an array with more windows than a byte can count holds
	// them parallel to its entries). Most grants have no window, so an
	// entity's windows take 16 bytes per windowed grant, not per grant.
	win uint8
}

const winParallel = ^uint8(0)

// windowOf returns the window of es[i], whose windows are ws.
func windowOf(es []entry, ws []window, i int) window {
	switch w := es[i].win; w {
	case 0:
		return openWindow
	case winParallel:
		return ws[i]
	default:
		return ws[w-1]
	}
}

// packWindows sets the win of every entry of es, whose windows w gives,
// and returns the windows to keep beside them (nil when none has one).
func packWindows(es []entry, w func(i int) window) []window {
	n := 0
	for i := range es {
		if w(i) != openWindow {
			n++
		}
	}
	if n == 0 {
		for i := range es {
			es[i].win = 0
		}
		return nil
	}
	parallel := n >= int(winParallel)
	var ws []window
	if parallel {
		ws = make([]window, len(es))
	} else {
		ws = make([]window, 0, n)
	}
	for i := range es {
		wi := w(i)
		switch {
		case wi == openWindow:
			es[i].win = 0
		case parallel:
			es[i].win = winParallel
			ws[i] = wi
		default:
			ws = append(ws, wi)
			es[i].win = uint8(len(ws))
		}
	}
	return ws
}

// window is a grant's time window in the index's time.
type window struct {
	from int64 // unix nanos; math.MinInt64 when open
	to   int64 // unix nanos, exclusive; math.MaxInt64 when open
}

var openWindow = window{from: math.MinInt64, to: math.MaxInt64}

func (w window) activeAt(now int64) bool { return w.from <= now && now < w.to }

// window returns the window of entry i.
func (r *entityRec) window(i int) window { return windowOf(r.entries, r.windows, i) }

// checkActive reports whether check entry i is active at now.
func (r *entityRec) checkActive(i int, now int64) bool {
	return r.check[i].win == 0 || windowOf(r.check, r.checkWindows, i).activeAt(now)
}

// active reports whether entry i is active at now.
func (r *entityRec) active(i int, now int64) bool {
	return r.entries[i].win == 0 || r.window(i).activeAt(now)
}

// clone copies r; the copy's slices are shared and must be replaced, never
// written in place.
func (r *entityRec) clone() *entityRec {
	c := *r
	return &c
}

// grantRow is one grant while an entity's entries are rebuilt.
type grantRow struct {
	e entry
	g *model.Grant
	w window
}

func newGrantRow(g *model.Grant, grantee sid) grantRow {
	w := window{from: Nanos(g.EffectiveFrom, math.MinInt64), to: Nanos(g.EffectiveTo, math.MaxInt64)}
	return grantRow{
		e: entry{
			grantee: grantee,
			level:   g.Level,
			effect:  effectOf(g.Effect),
			toUser:  g.Grantee.Type == model.SubjectUser,
		},
		g: g,
		w: w,
	}
}

// setRows makes rows, sorted, r's entries.
func (r *entityRec) setRows(rows []grantRow) {
	r.entries, r.grants, r.windows = nil, nil, nil
	r.denies = 0
	if len(rows) == 0 {
		return
	}
	r.entries = make([]entry, len(rows))
	r.grants = make([]*model.Grant, len(rows))
	for i := range rows {
		r.entries[i] = rows[i].e
		r.grants[i] = rows[i].g
		if rows[i].e.effect == effectDeny {
			r.denies++
		}
	}
	r.windows = packWindows(r.entries, func(i int) window { return rows[i].w })
}

// checkRow is one entry of a check array while it is built.
type checkRow struct {
	e entry
	w window
}

// setCheck builds r's check array from its entries and those of the
// records above it (get gives a record by key); rows is scratch space,
// returned for the next record.
func (r *entityRec) setCheck(get func(entityKey) *entityRec, rows []checkRow) []checkRow {
	r.checkInline = false
	if r.link == nil || len(r.link.ancestors) == 0 {
		r.check, r.checkWindows = r.entries, r.windows
		return rows
	}
	rows = rows[:0]
	add := func(x *entityRec) {
		for i, e := range x.entries {
			rows = append(rows, checkRow{e, x.window(i)})
		}
	}
	add(r)
	for _, a := range r.link.ancestors {
		if x := get(a); x != nil {
			add(x)
		}
	}
	// The second half of rows holds them in check order.
	n := len(rows)
	rows = slices.Grow(rows, n)[:2*n]
	placed := rows[n:]
	if !placeByLevel(rows[:n], placed, func(c *checkRow) model.Level { return c.e.level }) {
		copy(placed, rows[:n])
		slices.SortStableFunc(placed, func(a, b checkRow) int { return cmp.Compare(b.e.level, a.e.level) })
	}
	r.check = make([]entry, n)
	for i := range placed {
		r.check[i] = placed[i].e
	}
	r.checkWindows = packWindows(r.check, func(i int) window { return placed[i].w })
	return rows
}

// entity returns the map value of entity in org, zero when the index holds
// nothing for it.
func (ix *Index) entity(org string, e model.EntityRef) entityVal {
	k, ok := ix.mapKeyOf(keyOfEntity(org, e))
	if !ok {
		return entityVal{}
	}
	v, _ := ix.entities.get(hashEntity(org, e.ID), k)
	return v
}

// entityRec returns the record of k, or nil.
func (ix *Index) entityRec(k entityKey) *entityRec {
	mk, ok := ix.mapKeyOf(k)
	if !ok {
		return nil
	}
	v, _ := ix.entities.get(hashEntityKey(k), mk)
	return v.rec
}

// entityBuilder derives the next revision's entity records.
type entityBuilder struct {
	m     *cowMapBuilder[mapKey, entityVal]
	names *nameBuilder
	// owned are the records copied (or created) in this revision, which may
	// be changed in place.
	owned map[*entityRec]bool
	// changed are the entities whose entries or ancestors changed: their
	// check arrays, and those of every entity below them, are rebuilt.
	changed []entityKey
}

func (b *entityBuilder) get(k entityKey) *entityRec { return b.getHashed(hashEntityKey(k), k) }

// getHashed is get of k, whose hash is h.
func (b *entityBuilder) getHashed(h uint64, k entityKey) *entityRec {
	v, _ := b.m.get(h, b.names.mapKey(k))
	return v.rec
}

// put makes r the value of its key, whose hash is h and map key mk.
func (b *entityBuilder) put(h uint64, mk mapKey, r *entityRec) {
	if r.checkInline {
		// The slot holds the check array: only the record changed.
		v, _ := b.m.get(h, mk)
		v.rec = r
		b.m.set(h, mk, v)
		return
	}
	b.m.set(h, mk, entityValOf(r))
}

// dropChecks drops the check arrays of the records this revision built
// that the map slots hold inline (and need no window from): an entity
// below others would otherwise hold its check array twice.
func (b *entityBuilder) dropChecks() {
	for r := range b.owned {
		c := r.check
		if r.checkInline || len(c) == 0 || len(c) > inlineChecks || r.checkWindows != nil ||
			(len(r.entries) > 0 && &c[0] == &r.entries[0]) {
			continue
		}
		r.check, r.checkInline = nil, true
	}
}

// own returns the record of k, copied first unless this revision already
// owns it, or created.
func (b *entityBuilder) own(k entityKey) *entityRec { return b.ownHashed(hashEntityKey(k), k) }

// ownHashed is own of k, whose hash is h.
func (b *entityBuilder) ownHashed(h uint64, k entityKey) *entityRec {
	mk := b.names.mapKey(k)
	v, ok := b.m.get(h, mk)
	r := v.rec
	if ok && b.owned[r] {
		return r
	}
	if ok {
		r = r.clone()
	} else {
		r = &entityRec{key: k}
	}
	b.put(h, mk, r)
	b.owned[r] = true
	return r
}

// settle drops r when it holds neither grants nor links.
func (b *entityBuilder) settle(r *entityRec) {
	if len(r.entries) > 0 || r.link != nil {
		return
	}
	b.m.delete(hashEntityKey(r.key), b.names.mapKey(r.key))
}

// refreshChecks rebuilds the check arrays of the changed records and of
// every record below one, each once.
func (b *entityBuilder) refreshChecks() {
	if len(b.changed) == 0 {
		return
	}
	if len(b.changed) == 1 {
		// One entity without children, the common small commit: no set of
		// those seen.
		k := b.changed[0]
		if r := b.get(k); r == nil || r.link == nil || len(r.link.children) == 0 {
			if r != nil {
				r = b.own(k)
				r.setCheck(b.get, nil)
				b.put(hashEntityKey(k), b.names.mapKey(k), r)
			}
			return
		}
	}
	// Each entity is found once, by hash and map key, and told apart by
	// the record the map holds for it, which is why its copy is put in
	// the map only after the walk (the map would then hand the walk the
	// copy, which it has not seen). Meanwhile setChecks reads the entries
	// above a record from the old records, the same as their copies'.
	seen := make(map[*entityRec]bool, len(b.changed))
	stack := b.changed
	var todo []checkWork
	var recs []*entityRec
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		h, mk := hashEntityKey(k), b.names.mapKey(k)
		v, ok := b.m.get(h, mk)
		if !ok || seen[v.rec] {
			continue // dropped, or done
		}
		r := v.rec
		seen[r] = true
		if !b.owned[r] {
			r = r.clone()
			b.owned[r] = true
		}
		todo = append(todo, checkWork{h, mk, r})
		recs = append(recs, r)
		if r.link != nil {
			stack = append(stack, r.link.children...)
		}
	}
	b.setChecks(recs)
	b.putChecked(todo)
}

// checkWork is a record whose check array refreshChecks rebuilds, with its
// hash and map key.
type checkWork struct {
	h  uint64
	mk mapKey
	r  *entityRec
}

// putChecked puts the records of todo in the map: on two goroutines when
// they are many, each writing the shards of one part of the map (partOf).
func (b *entityBuilder) putChecked(todo []checkWork) {
	put := func(part int) {
		for _, w := range todo {
			if part < 0 || partOf(w.h) == part {
				b.put(w.h, w.mk, w.r)
			}
		}
	}
	if len(todo) < parallelChecksAt || runtime.GOMAXPROCS(0) < 2 {
		put(-1)
		return
	}
	b.m.ownTopArray()
	var wg sync.WaitGroup
	wg.Go(func() { put(1) })
	put(0)
	wg.Wait()
}

// parallelChecksAt is how many check arrays a commit rebuilds before it
// rebuilds them on two goroutines: below it, starting one costs more than
// it saves.
const parallelChecksAt = 2048

// setChecks rebuilds the check array of every record of rs, which this
// revision owns (refreshChecks puts them in the map afterwards): each
// reads the entries of the records above it, from the map as it stands
// (they no longer change), and writes only its own check array, so the
// records split between two goroutines when they are many (a bulk load
// under folders rebuilds one per entity).
func (b *entityBuilder) setChecks(rs []*entityRec) {
	if len(rs) < parallelChecksAt || runtime.GOMAXPROCS(0) < 2 {
		b.reader().setChecks(rs)
		return
	}
	half := len(rs) / 2
	var wg sync.WaitGroup
	wg.Go(func() { b.reader().setChecks(rs[half:]) })
	b.reader().setChecks(rs[:half])
	wg.Wait()
}

// entityReader reads the records of a builder, with a name cache of its
// own (the builder's mapKey writes its cache, and may number a name): one
// per goroutine. What it reads must not be written meanwhile: the whole
// map while check arrays are built, its own part of the map (partOf) in an
// entity pass, where the other goroutine writes the other part.
type entityReader struct {
	b        *entityBuilder
	org, typ cachedName
}

func (b *entityBuilder) reader() *entityReader { return &entityReader{b: b} }

func (r *entityReader) setChecks(rs []*entityRec) {
	var rows []checkRow
	for _, x := range rs {
		rows = x.setCheck(r.get, rows)
	}
}

// get returns the record of k, or nil.
func (r *entityReader) get(k entityKey) *entityRec {
	mk, ok := r.mapKey(k)
	if !ok {
		return nil
	}
	v, _ := r.b.m.get(hashEntityKey(k), mk)
	return v.rec
}

// mapKey returns the map key of k, false when its org or type has no
// number (so that the map holds nothing for it).
func (r *entityReader) mapKey(k entityKey) (mapKey, bool) {
	o, ok1 := r.num(&r.org, k.org)
	t, ok2 := r.num(&r.typ, k.typ)
	return mapKey{o, t, keyIDOf(k.id)}, ok1 && ok2
}

func (r *entityReader) num(c *cachedName, name string) (uint32, bool) {
	if c.num != 0 && c.name == name {
		return c.num, true
	}
	n, ok := r.b.names.lookup(name)
	if ok {
		*c = cachedName{name, n}
	}
	return n, ok
}
