package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// membershipRow is a stored membership.
type membershipRow struct {
	key string
	org string
	m   model.Membership
}

// HasMembership reports whether the membership is stored in org.
func (r *ReadTxn) HasMembership(org string, m model.Membership) bool {
	key := membershipKey(org, m)
	row, err := r.memberIn(entityKeyOf(key))
	return err == nil && row != nil && row.find(key) != nil
}

// GroupsOf calls fn with each group that member is a direct member of, in
// key order, until fn returns false.
func (r *ReadTxn) GroupsOf(org string, member model.Subject, fn func(group model.Subject) bool) error {
	return r.scanMemberships(prefix(org, string(member.Type), member.ID), func(m model.Membership) bool {
		return fn(m.Group)
	})
}

// MembersOf calls fn with each direct member of group, in key order, until fn
// returns false.
func (r *ReadTxn) MembersOf(org string, group model.Subject, fn func(member model.Subject) bool) error {
	pivot := &membershipRow{org: org, m: model.Membership{Group: group}}
	r.gx.membersByGroup.AscendGreaterOrEqual(pivot, func(row *membershipRow) bool {
		return row.org == org && row.m.Group == group && fn(row.m.Member)
	})
	return nil
}

// Memberships calls fn with each membership of org, ordered by member, until
// fn returns false.
func (r *ReadTxn) Memberships(org string, fn func(m model.Membership) bool) error {
	return r.scanMemberships(prefix(org), fn)
}

// scanMemberships calls fn with each membership whose key starts with pre,
// a prefix of whole fields ending in sep (an organisation's, or a
// member's), in key order, until fn returns false.
func (r *ReadTxn) scanMemberships(pre string, fn func(m model.Membership) bool) error {
	it, err := r.txn.LowerBound(tableMemberships, indexID, entityKeyOf(pre))
	if err != nil {
		return fmt.Errorf("store: scan memberships: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		for _, row := range raw.(*memberRow).rows {
			if !strings.HasPrefix(row.key, pre) || !fn(row.m) {
				return nil
			}
		}
	}
	return nil
}

// AddMembership stores m in org, reporting whether it was new (adding an
// existing membership changes nothing). The caller has validated m and
// checked it closes no cycle.
func (w *WriteTxn) AddMembership(org string, m model.Membership) (bool, error) {
	key := membershipKey(org, m)
	if w.hasMembershipKey(key) {
		return false, nil
	}
	row := &membershipRow{key: key, org: org, m: m}
	owner, err := w.ownMember(entityKeyOf(key))
	if err != nil {
		return false, err
	}
	owner.put(row)
	w.gx.membersByGroup.ReplaceOrInsert(row)
	w.noteMembership(key, true)
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
	return true, nil
}

// AddMemberships stores each of ms in org as AddMembership would, returning
// how many were new, in one pass that is much faster than an AddMembership
// per membership: the new rows go into memdb in key order and into the group
// btree in group order, so each walks its tree once instead of copying a
// path per row. The change set lists them in the order of ms. The caller
// has validated ms and checked that none closes a cycle. After an error the
// transaction must be aborted.
func (w *WriteTxn) AddMemberships(org string, ms []model.Membership) (int, error) {
	rows := make([]*membershipRow, 0, len(ms))
	w.changes.Memberships = slices.Grow(w.changes.Memberships, len(ms))
	if w.members == nil {
		w.members = make(map[string]bool, len(ms))
	}
	for _, m := range ms {
		key := membershipKey(org, m)
		if w.hasMembershipKey(key) {
			continue
		}
		w.noteMembership(key, true)
		rows = append(rows, &membershipRow{key: key, org: org, m: m})
		w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
	}
	slices.SortFunc(rows, cmpMembershipKeys)
	for start := 0; start < len(rows); {
		key := entityKeyOf(rows[start].key)
		end := start + 1
		for end < len(rows) && entityKeyOf(rows[end].key) == key {
			end++
		}
		owner, err := w.ownMember(key)
		if err != nil {
			return 0, err
		}
		owner.rows = mergeMemberships(owner.rows, rows[start:end])
		start = end
	}
	w.gx.putMembers(rows)
	return len(rows), nil
}

// Committed opens a read transaction on the state w started from: what is
// stored without any of w's writes. Reading it, unlike reading w, leaves
// memdb's record of the nodes w already copied intact, so a writer that
// reads as it goes (a cycle check per membership) and knows its own writes
// reads here.
func (w *WriteTxn) Committed() *ReadTxn {
	if w.base == nil {
		w.base = w.store.last.Read()
	}
	return w.base
}

// hasMembershipKey reports whether the membership of key is stored, without
// reading memdb through the write transaction: such a read makes memdb
// forget the nodes the transaction already copied, so that every later
// insert copies its whole path again (most of the cost of adding many
// memberships). It answers from the memberships this transaction wrote,
// then from the state it started from.
func (w *WriteTxn) hasMembershipKey(key string) bool {
	if present, ok := w.members[key]; ok {
		return present
	}
	row, err := w.Committed().memberIn(entityKeyOf(key))
	return err == nil && row != nil && row.find(key) != nil
}

// noteMembership records that this transaction stored (present) or removed
// the membership of key.
func (w *WriteTxn) noteMembership(key string, present bool) {
	if w.members == nil {
		w.members = make(map[string]bool)
	}
	w.members[key] = present
}

// RemoveMembership deletes m from org, reporting whether it was there.
func (w *WriteTxn) RemoveMembership(org string, m model.Membership) (bool, error) {
	key := membershipKey(org, m)
	if !w.hasMembershipKey(key) {
		return false, nil
	}
	owner, err := w.ownMember(entityKeyOf(key))
	if err != nil {
		return false, err
	}
	if row := owner.remove(key); row != nil {
		w.gx.membersByGroup.Delete(row)
	}
	w.noteMembership(key, false)
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Deleted: true, Org: org, Membership: m})
	return true, nil
}

// mergeMemberships returns the memberships of stored and rows (both in
// ascending key order, no key in both) in one new slice in key order.
func mergeMemberships(stored, rows []*membershipRow) []*membershipRow {
	merged := make([]*membershipRow, 0, len(stored)+len(rows))
	i := 0
	for _, row := range rows {
		for i < len(stored) && stored[i].key < row.key {
			merged = append(merged, stored[i])
			i++
		}
		merged = append(merged, row)
	}
	return append(merged, stored[i:]...)
}
