package store

import (
	"fmt"
	"slices"
	"strings"
)

// memberRow is the memdb row of one member (a user or a group) of an
// organisation: its memberships, sorted by key (group type, then id). memdb
// indexes memberships by member only, for the reason it indexes grants by
// entity (entities.go): a radix insert per member, not per membership, and
// a user is in several groups. Each membership stays its own immutable
// *membershipRow, which the group btree points at. A write transaction
// changes a member's row as it changes an entity's (WriteTxn.ownMember).
type memberRow struct {
	key  string // org, member type, member id: the prefix of its memberships' keys before sep
	rows []*membershipRow
}

func (m *memberRow) search(key string) (int, bool) {
	return slices.BinarySearchFunc(m.rows, key, func(r *membershipRow, k string) int { return strings.Compare(r.key, k) })
}

// find returns the membership of key, or nil.
func (m *memberRow) find(key string) *membershipRow {
	if i, ok := m.search(key); ok {
		return m.rows[i]
	}
	return nil
}

// put adds row to m, an own row, reporting false when its key is there.
// A row after every other is appended in place; anywhere else it goes into
// a new slice, so that an iterator over the old one keeps seeing it whole.
func (m *memberRow) put(row *membershipRow) bool {
	i, found := m.search(row.key)
	switch {
	case found:
		return false
	case i == len(m.rows):
		m.rows = append(m.rows, row)
	default:
		rows := make([]*membershipRow, 0, len(m.rows)+1)
		rows = append(rows, m.rows[:i]...)
		rows = append(rows, row)
		m.rows = append(rows, m.rows[i:]...)
	}
	return true
}

// remove takes the membership of key out of m, an own row, returning it
// (nil: it was not there).
func (m *memberRow) remove(key string) *membershipRow {
	i, found := m.search(key)
	if !found {
		return nil
	}
	old := m.rows[i]
	rows := make([]*membershipRow, 0, len(m.rows)-1)
	rows = append(rows, m.rows[:i]...)
	m.rows = append(rows, m.rows[i+1:]...)
	return old
}

// memberIn returns the row of the member of key in r, or nil.
func (r *ReadTxn) memberIn(key string) (*memberRow, error) {
	raw, err := r.txn.First(tableMemberships, indexID, key)
	if err != nil {
		return nil, fmt.Errorf("store: find member: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*memberRow), nil
}

// ownMember returns w's own row of the member of key, which w may change:
// made and inserted into memdb (a copy of the committed row, or empty) the
// first time w changes that member. Like entityAt, it never reads memdb
// through w.
func (w *WriteTxn) ownMember(key string) (*memberRow, error) {
	if m, ok := w.ownMembers[key]; ok {
		return m, nil
	}
	stored, err := w.Committed().memberIn(key)
	if err != nil {
		return nil, err
	}
	m := &memberRow{key: key}
	if stored != nil {
		m.rows = slices.Clone(stored.rows)
	}
	if err := w.txn.Insert(tableMemberships, m); err != nil {
		return nil, fmt.Errorf("store: put member: %w", err)
	}
	if w.ownMembers == nil {
		w.ownMembers = make(map[string]*memberRow)
	}
	w.ownMembers[key] = m
	return m, nil
}

// growOwnMembers makes room in w's own member rows for n more, so that a
// batch does not grow the map step by step.
func (w *WriteTxn) growOwnMembers(n int) {
	if w.ownMembers == nil {
		w.ownMembers = make(map[string]*memberRow, n)
	}
}

// dropEmptyMembers deletes from memdb the member rows w emptied, before it
// commits (as dropEmptyEntities).
func (w *WriteTxn) dropEmptyMembers() {
	for _, m := range w.ownMembers {
		if len(m.rows) == 0 {
			_ = w.txn.Delete(tableMemberships, m)
		}
	}
}
