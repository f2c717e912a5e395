package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/grantdb/grantdb/model"
)

// grantIndexes are the grant lookups kept beside memdb rather than in it: by
// id, by (org, grantee, entity), and by end (the grants that have an
// EffectiveTo, by it: what the expiry sweeper removes). Each is a runIndex
// of pointers to the immutable rows, cloned (copy-on-write) per write
// transaction and per published snapshot, so they are exactly as versioned
// as memdb's tables.
//
// Why not memdb indexes: a memdb index costs ~0.4 KB and several µs per
// grant, and a bulk insert in entity order lands at random places of a
// grantee-ordered radix tree, copying a path (a node and a channel per level)
// for almost every grant: about 10 s of a 1M-grant batch. A runIndex holds
// about 8 bytes a grant, compares fields in place (no key to build), takes
// a sorted batch in one pass, and a write transaction copies each run at
// most once.
type grantIndexes struct {
	byID      *runIndex[*grantRow]
	byGrantee *runIndex[*grantRow]
	byEnd     *runIndex[*grantRow]
}

func newGrantIndexes() grantIndexes {
	return grantIndexes{
		byID:      newRunIndex(cmpByID),
		byGrantee: newRunIndex(cmpByGrantee),
		byEnd:     newRunIndex(cmpByEnd),
	}
}

// clone returns a copy that shares nodes until either side writes.
func (x grantIndexes) clone() grantIndexes {
	return grantIndexes{byID: x.byID.Clone(), byGrantee: x.byGrantee.Clone(), byEnd: x.byEnd.Clone()}
}

// put indexes row in place of old, the row stored under the same key before
// (nil: none).
func (x grantIndexes) put(row, old *grantRow) {
	x.putExceptGrantee(row, old)
	// The grantee order does not depend on the id, so this replaces old.
	x.byGrantee.ReplaceOrInsert(row)
}

// putExceptGrantee is put without the grantee index (putByGrantee).
func (x grantIndexes) putExceptGrantee(row, old *grantRow) {
	if old != nil && old.g.ID != row.g.ID {
		x.byID.Delete(old)
	}
	x.byID.ReplaceOrInsert(row)
	if old != nil && !old.g.EffectiveTo.IsZero() {
		x.byEnd.Delete(old)
	}
	if !row.g.EffectiveTo.IsZero() {
		x.byEnd.ReplaceOrInsert(row)
	}
}

// putAllExceptGrantee is putExceptGrantee of each row in place of
// replaced[i], a batch at a time (putByIDAndEnd).
func (x grantIndexes) putAllExceptGrantee(rows, replaced []*grantRow) {
	if len(rows) < runMax {
		for i, row := range rows {
			x.putExceptGrantee(row, replaced[i])
		}
		return
	}
	for i, row := range rows {
		if old := replaced[i]; old != nil {
			if old.g.ID != row.g.ID {
				x.byID.Delete(old)
			}
			if !old.g.EffectiveTo.IsZero() {
				x.byEnd.Delete(old)
			}
		}
	}
	x.putByIDAndEnd(slices.Clone(rows))
}

// putByIDAndEnd adds rows (distinct grants, none of them in the id and end
// indexes under another id) to those two indexes, each getting them as one
// batch sorted its way. A batch's new ids ascend with its keys, so its rows
// are mostly in id order already. It reorders rows.
func (x grantIndexes) putByIDAndEnd(rows []*grantRow) {
	if !slices.IsSortedFunc(rows, cmpByID) {
		slices.SortFunc(rows, cmpByID)
	}
	var ends []*grantRow
	for _, row := range rows {
		if !row.g.EffectiveTo.IsZero() {
			ends = append(ends, row)
		}
	}
	x.byID.putSorted(rows)
	slices.SortFunc(ends, cmpByEnd)
	x.byEnd.putSorted(ends)
}

// putByGrantee adds rows to the grantee index, each replacing the row of
// its grantee key, as put does; rows must hold distinct keys and come in key
// order (organisation, entity, grantee, effect). It puts them as one batch
// sorted into grantee order (sortByGrantee).
func (x grantIndexes) putByGrantee(rows []*grantRow) {
	x.byGrantee.putSorted(sortByGrantee(rows))
}

// sortByGrantee returns rows (distinct keys, in key order) in the grantee
// index's order. Each grantee's rows are in entity order already, so only
// the grantees need sorting: it hashes the rows into their grantees, sorts
// the distinct ones (a batch holds several grants per grantee) and lays
// each grantee's rows out in their order, a counting sort. Sorting every
// row was the longest part of building the grantee index.
func sortByGrantee(rows []*grantRow) []*grantRow {
	if len(rows) < 2 {
		return rows
	}
	type grantee struct {
		org string
		s   model.Subject
	}
	bucket, grantees := bucketBy(rows, func(r *grantRow) grantee { return grantee{r.g.Org, r.g.Grantee} }, len(rows)/4)
	// The grantees come in organisation order, as the rows do.
	order := identity(len(grantees))
	sortByGroup(order, func(id int32) string { return grantees[id].org },
		func(id int32) (uint64, uint64, bool, bool) { return subjectWords(grantees[id].s) },
		func(a, b int32) int { return cmpSubject(grantees[a].s, grantees[b].s) })
	return scatter(rows, bucket, order)
}

// restoreGrants indexes the rows of a Restore (into a new store), refusing a
// second grant with an id: a restore holds each grant once (its entity row
// refused a second grant under a key already). Each index gets the rows
// sorted its way, as one batch. It reorders rows.
func (x grantIndexes) restoreGrants(rows []*grantRow) error {
	if !slices.IsSortedFunc(rows, cmpRowKeys) {
		slices.SortFunc(rows, cmpRowKeys)
	}
	// The indexes are independent: the grantee index is built on a second
	// goroutine, from its own copy of the slice, while this one builds the
	// others.
	byGrantee := slices.Clone(rows)
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.putByGrantee(byGrantee)
	}()
	defer func() { <-done }()
	sortByString(rows, func(r *grantRow) string { return r.g.ID })
	for i := 1; i < len(rows); i++ {
		if rows[i].g.ID == rows[i-1].g.ID {
			return fmt.Errorf("store: restore: a second grant with id %s", rows[i].g.ID)
		}
	}
	x.putByIDAndEnd(rows)
	return nil
}

func cmpRowKeys(a, b *grantRow) int { return strings.Compare(a.key, b.key) }

// remove drops row from every index.
func (x grantIndexes) remove(row *grantRow) {
	x.byID.Delete(row)
	x.byGrantee.Delete(row)
	if !row.g.EffectiveTo.IsZero() {
		x.byEnd.Delete(row)
	}
}

func cmpByID(a, b *grantRow) int { return strings.Compare(a.g.ID, b.g.ID) }

// cmpByEnd orders by EffectiveTo, then id (unique), so that grants ending
// at the same instant are all kept.
func cmpByEnd(a, b *grantRow) int {
	if c := a.g.EffectiveTo.Compare(b.g.EffectiveTo); c != 0 {
		return c
	}
	return cmpByID(a, b)
}

// cmpByGrantee orders by org, grantee type, grantee id, entity type, entity
// id, effect: the order of granteeKeyEffect. The organisation and the
// two types are usually one string shared by both rows (rows of a batch
// share them, and grantee types are the model's constants), which cmpShared
// decides without a call; every search of the index and merge of a batch
// into it makes these comparisons.
func cmpByGrantee(a, b *grantRow) int {
	x, y := &a.g, &b.g
	if c := cmpShared(x.Org, y.Org); c != 0 {
		return c
	}
	if c := cmpShared(string(x.Grantee.Type), string(y.Grantee.Type)); c != 0 {
		return c
	}
	if c := strings.Compare(x.Grantee.ID, y.Grantee.ID); c != 0 {
		return c
	}
	if c := cmpShared(x.Entity.Type, y.Entity.Type); c != 0 {
		return c
	}
	if c := strings.Compare(x.Entity.ID, y.Entity.ID); c != 0 {
		return c
	}
	return cmp.Compare(x.Effect, y.Effect)
}

// cmpShared is strings.Compare, answering at once when a and b are the
// same string in memory.
func cmpShared(a, b string) int {
	if len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b) {
		return 0
	}
	return strings.Compare(a, b)
}

// granteePivot is a probe row that sorts at the grantee-order position of
// pos, a granteeKeyEffect or a prefix of one (missing fields sort first).
func granteePivot(pos string) *grantRow {
	var f [5]string
	pos, eff := cutEffect(pos)
	parts := strings.SplitN(pos, sep, 5)
	copy(f[:], parts)
	return &grantRow{g: model.Grant{
		Org:     f[0],
		Grantee: model.Subject{Type: model.SubjectType(f[1]), ID: f[2]},
		Entity:  model.EntityRef{Type: f[3], ID: f[4]},
		Effect:  eff,
	}}
}
