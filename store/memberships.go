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
	if w.HasMembership(org, m) {
		return false, nil
	}
	row := &membershipRow{key: membershipKey(org, m), org: org, m: m}
	if err := w.txn.Insert(tableMemberships, row); err != nil {
		return false, fmt.Errorf("store: add membership: %w", err)
	}
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
	return true, nil
}

// RemoveMembership deletes m from org, reporting whether it was there.
func (w *WriteTxn) RemoveMembership(org string, m model.Membership) (bool, error) {
	raw, err := w.txn.First(tableMemberships, indexID, membershipKey(org, m))
	if err != nil {
		return false, fmt.Errorf("store: remove membership: %w", err)
	}
	if raw == nil {
		return false, nil
	}
	if err := w.txn.Delete(tableMemberships, raw); err != nil {
		return false, fmt.Errorf("store: remove membership: %w", err)
	}
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Deleted: true, Org: org, Membership: m})
	return true, nil
}
