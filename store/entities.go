package store

import (
	"fmt"
	"slices"
	"strings"
)

// entityRow is the memdb row of one entity: its grants, sorted by key
// (grantee, then effect). memdb indexes grants by entity only, so a batch
// costs a radix insert per entity, not per grant: a radix insert allocates
// a node, a leaf and a channel for each (about 0.4 KB, most of the store's
// memory when it was a row per grant), and an entity has ~10 grants. Each
// grant stays its own immutable *grantRow, which the indexes by id, grantee
// and end and the change sets point at.
//
// A committed entityRow is immutable. A write transaction that changes an
// entity's grants makes its own copy first (WriteTxn.ownEntity), and from
// then on changes that copy: appending in place (no reader of the
// transaction's earlier state looks past its length) or, for a grant that
// goes anywhere else, into a new slice (an iterator over the old one keeps
// seeing it whole).
type entityRow struct {
	key    string // org, entity type, entity id: the prefix of its grant keys before sep
	grants []*grantRow
}

// entityKeyOf returns the entity part of a grant key, or of a position or
// prefix (and the member part of a membership key, which has the same
// shape): its first three fields without the sep after them, or key itself
// when it has fewer.
func entityKeyOf(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if key[i] == sep[0] {
			if n++; n == 3 {
				return key[:i]
			}
		}
	}
	return key
}

// search returns the position of the first grant with a key at or after
// key, and whether that grant's key is key.
func (e *entityRow) search(key string) (int, bool) {
	return slices.BinarySearchFunc(e.grants, key, func(r *grantRow, k string) int { return strings.Compare(r.key, k) })
}

// entityAt returns the row of the entity of key as w sees it (nil: none),
// without reading memdb through w: such a read makes memdb forget the nodes
// w already copied, so that every later insert copies its whole path
// again. It answers from the rows w made, then from the state w started
// from.
func (w *WriteTxn) entityAt(key string) (*entityRow, error) {
	if e, ok := w.entities[key]; ok {
		return e, nil
	}
	raw, err := w.Committed().txn.First(tableGrants, indexID, key)
	if err != nil {
		return nil, fmt.Errorf("store: find entity: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*entityRow), nil
}

// ownEntity returns w's own row of the entity of key, which w may change:
// made and inserted into memdb (as a copy of the stored row, or empty) the
// first time w changes that entity.
func (w *WriteTxn) ownEntity(key string, extra int) (*entityRow, error) {
	if e, ok := w.entities[key]; ok && e != nil {
		return e, nil
	}
	stored, err := w.entityAt(key)
	if err != nil {
		return nil, err
	}
	e := &entityRow{key: key}
	if stored != nil {
		e.grants = make([]*grantRow, len(stored.grants), len(stored.grants)+extra)
		copy(e.grants, stored.grants)
	} else if extra > 0 {
		e.grants = make([]*grantRow, 0, extra)
	}
	if err := w.txn.Insert(tableGrants, e); err != nil {
		return nil, fmt.Errorf("store: put entity: %w", err)
	}
	if w.entities == nil {
		w.entities = make(map[string]*entityRow)
	}
	w.entities[key] = e
	return e, nil
}

// put stores row at its place in e, an own row, returning the row it
// replaced (nil: none).
func (e *entityRow) put(row *grantRow) *grantRow {
	i, found := e.search(row.key)
	if found {
		old := e.grants[i]
		gs := slices.Clone(e.grants)
		gs[i] = row
		e.grants = gs
		return old
	}
	if i == len(e.grants) {
		e.grants = append(e.grants, row)
		return nil
	}
	gs := make([]*grantRow, 0, len(e.grants)+1)
	gs = append(gs, e.grants[:i]...)
	gs = append(gs, row)
	e.grants = append(gs, e.grants[i:]...)
	return nil
}

// remove takes the grant of key out of e, an own row, returning it (nil:
// none was there).
func (e *entityRow) remove(key string) *grantRow {
	i, found := e.search(key)
	if !found {
		return nil
	}
	old := e.grants[i]
	gs := make([]*grantRow, 0, len(e.grants)-1)
	gs = append(gs, e.grants[:i]...)
	e.grants = append(gs, e.grants[i+1:]...)
	return old
}

// dropEmptyEntities deletes from memdb the rows w emptied, before it
// commits. Each is in memdb (ownEntity put it there), so Delete cannot fail
// for want of it; if it failed all the same, an empty row would only cost
// its memory: scans find no grant in it.
func (w *WriteTxn) dropEmptyEntities() {
	for _, e := range w.entities {
		if len(e.grants) == 0 {
			_ = w.txn.Delete(tableGrants, e)
		}
	}
}

// mergeGrants returns the grants of stored and rows (both in ascending key
// order, rows' keys distinct) in one new slice in key order, a row of rows
// taking the place of the stored grant of its key; replaced[i] is the grant
// rows[i] took the place of (nil: none), in buf's memory when it is big
// enough.
func mergeGrants(stored, rows, buf []*grantRow) (merged, replaced []*grantRow) {
	merged = make([]*grantRow, 0, len(stored)+len(rows))
	replaced = slices.Grow(buf[:0], len(rows))[:len(rows)]
	clear(replaced)
	i := 0
	for j, row := range rows {
		for i < len(stored) && stored[i].key < row.key {
			merged = append(merged, stored[i])
			i++
		}
		if i < len(stored) && stored[i].key == row.key {
			replaced[j] = stored[i]
			i++
		}
		merged = append(merged, row)
	}
	return append(merged, stored[i:]...), replaced
}
