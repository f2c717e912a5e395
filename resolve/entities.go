package resolve

import (
	"math"

	"github.com/grantdb/grantdb/model"
)

// eid is an interned entity of one organisation: entities that hold grants
// or links are numbered as subjects are, so that an entity's ancestors are a
// list of eids, each read from a vector in two loads rather than by hashing
// and comparing its key. Eids start at 1 and are never reused; 0 means
// "none".
type eid = uint32

// entityRec is what the index knows about one entity that holds grants or
// links. It is immutable once published: a commit that changes the entity's
// grants or links replaces its record.
//
// The fields Check reads come first, and up to inlineEntries entries live
// in the record itself, so that the hash probe's slot, the record and the
// entries it scans are few cache lines: the record's first lines hold
// everything a check of an entity without links reads.
type entityRec struct {
	// entries are the entity's grants, sorted by level, highest first (then
	// by grant id): a check for allows stops at the first entry below the
	// asked level, and one for denies reads from the end and stops at the
	// first entry above it.
	entries []entry
	// up holds the eids of every entity above this one (its link ancestors),
	// nil when it has no parent.
	up []eid
	// denies counts the deny entries, so that a check reads an entity's
	// entries for denies only when it has some.
	denies int32
	id     eid
	inline [inlineEntries]entry
	// grants and windows run parallel to entries: the stored rows (which
	// Check never reads) and, when any entry has one, the time windows.
	grants  []*model.Grant
	windows []window
	key     entityKey
	// link holds the entity's parents, children and ancestor keys, nil when
	// it has no link (links.go).
	link *entityNode
}

const inlineEntries = 12

// entry is one grant on an entity in the form the hot path reads: eight
// bytes, with no pointer, so that an entity's entries fill one or two cache
// lines and the collector never scans them.
type entry struct {
	grantee  sid // the interned grantee
	level    model.Level
	effect   effect
	toUser   bool // the grantee is a user, so only that user can match
	windowed bool // the grant has a time window: see entityRec.windows
}

// window is a grant's time window in the index's time.
type window struct {
	from int64 // unix nanos; math.MinInt64 when open
	to   int64 // unix nanos, exclusive; math.MaxInt64 when open
}

var openWindow = window{from: math.MinInt64, to: math.MaxInt64}

func (w window) activeAt(now int64) bool { return w.from <= now && now < w.to }

// active reports whether entry i is active at now.
func (r *entityRec) active(i int, now int64) bool {
	return !r.entries[i].windowed || r.windows[i].activeAt(now)
}

// window returns the window of entry i.
func (r *entityRec) window(i int) window {
	if r.windows == nil {
		return openWindow
	}
	return r.windows[i]
}

// clone copies r; the copy's slices are shared and must be replaced, never
// written in place, except that inline entries are the copy's own.
func (r *entityRec) clone() *entityRec {
	c := *r
	if n := len(r.entries); n <= inlineEntries {
		c.entries = c.inline[:n:n]
	}
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
			grantee:  grantee,
			level:    g.Level,
			effect:   effectOf(g.Effect),
			toUser:   g.Grantee.Type == model.SubjectUser,
			windowed: w != openWindow,
		},
		g: g,
		w: w,
	}
}

// setRows makes rows, sorted, r's entries.
func (r *entityRec) setRows(rows []grantRow) {
	n := len(rows)
	if n <= inlineEntries {
		r.entries = r.inline[:n:n]
	} else {
		r.entries = make([]entry, n)
	}
	r.grants = make([]*model.Grant, n)
	r.windows = nil
	r.denies = 0
	for i := range rows {
		r.entries[i] = rows[i].e
		r.grants[i] = rows[i].g
		if rows[i].e.effect == effectDeny {
			r.denies++
		}
		if rows[i].e.windowed && r.windows == nil {
			r.windows = make([]window, n)
			for j := range r.windows {
				r.windows[j] = openWindow
			}
		}
		if r.windows != nil {
			r.windows[i] = rows[i].w
		}
	}
}

// entity returns the record of entity in org, or nil.
func (ix *Index) entity(org string, e model.EntityRef) *entityRec {
	r, _ := ix.entities.get(hashEntity(org, e.ID), entityKey{org, e.Type, e.ID})
	return r
}

// entityBuilder derives the next revision's entity records.
type entityBuilder struct {
	m *cowMapBuilder[entityKey, *entityRec]
	v *ptrVecBuilder[entityRec]
	// owned are the records copied (or created) in this revision, which may
	// be changed in place.
	owned map[eid]bool
}

func (b *entityBuilder) get(k entityKey) *entityRec {
	r, _ := b.m.get(hashEntityKey(k), k)
	return r
}

// own returns the record of k, copied first unless this revision already
// owns it, or created (with a new eid). Both the map and the vector point
// at it.
func (b *entityBuilder) own(k entityKey) *entityRec {
	h := hashEntityKey(k)
	r, ok := b.m.get(h, k)
	if ok && b.owned[r.id] {
		return r
	}
	if ok {
		r = r.clone()
		b.v.set(r.id, r)
	} else {
		r = &entityRec{key: k}
		r.id = b.v.add(r)
	}
	b.m.set(h, k, r)
	b.owned[r.id] = true
	return r
}

// settle drops r when it holds neither grants nor links. Its eid is not
// reused: no record's up names it, since only linked entities are ancestors.
func (b *entityBuilder) settle(r *entityRec) {
	if len(r.entries) > 0 || r.link != nil {
		return
	}
	b.m.delete(hashEntityKey(r.key), r.key)
	b.v.set(r.id, nil)
}
