package store

import (
	"fmt"
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
	raw, err := r.txn.First(tableMemberships, indexID, membershipKey(org, m))
	return err == nil && raw != nil
}

// GroupsOf calls fn with each group that member is a direct member of, in
// key order, until fn returns false.
func (r *ReadTxn) GroupsOf(org string, member model.Subject, fn func(group model.Subject) bool) error {
	return r.scanMemberships(indexID, prefix(org, string(member.Type), member.ID), func(m model.Membership) bool {
		return fn(m.Group)
	})
}

// MembersOf calls fn with each direct member of group, in key order, until fn
// returns false.
func (r *ReadTxn) MembersOf(org string, group model.Subject, fn func(member model.Subject) bool) error {
	return r.scanMemberships(indexGroup, prefix(org, string(group.Type), group.ID), func(m model.Membership) bool {
		return fn(m.Member)
	})
}

// Memberships calls fn with each membership of org, ordered by member, until
// fn returns false.
func (r *ReadTxn) Memberships(org string, fn func(m model.Membership) bool) error {
	return r.scanMemberships(indexID, prefix(org), fn)
}

func (r *ReadTxn) scanMemberships(index, pre string, fn func(m model.Membership) bool) error {
	it, err := r.txn.LowerBound(tableMemberships, index, pre)
	if err != nil {
		return fmt.Errorf("store: scan memberships: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*membershipRow)
		k := row.key
		if index == indexGroup {
			k = groupKey(row.org, row.m)
		}
		if !strings.HasPrefix(k, pre) {
			return nil
		}
		if !fn(row.m) {
			return nil
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
	if err := w.txn.Insert(tableMemberships, row); err != nil {
		return false, fmt.Errorf("store: add membership: %w", err)
	}
	w.noteMembership(key, true)
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
	return true, nil
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
	if w.base == nil {
		w.base = w.store.last.Read()
	}
	raw, err := w.base.txn.First(tableMemberships, indexID, key)
	return err == nil && raw != nil
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
	// memdb deletes the stored row found by the primary key, so a row of
	// the same key stands in for it.
	if err := w.txn.Delete(tableMemberships, &membershipRow{key: key, org: org, m: m}); err != nil {
		return false, fmt.Errorf("store: remove membership: %w", err)
	}
	w.noteMembership(key, false)
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Deleted: true, Org: org, Membership: m})
	return true, nil
}
