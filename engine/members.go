package engine

import (
	"context"
	"errors"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// AddMembers adds memberships to org, all or none: one invalid membership,
// or one that would close a cycle (ErrConflict on group_id), and nothing is
// added. Memberships that already exist are no-ops.
func (e *Engine) AddMembers(ctx context.Context, org string, ms ...model.Membership) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		if err := e.validMemberships(ms); err != nil {
			return err
		}
		// The cycle check reads what is committed plus the group-in-group
		// memberships of this call before m: reading tx itself between
		// inserts would make memdb copy every later insert's whole path.
		stored := tx.Committed()
		var added map[model.Subject][]model.Subject // group member → its groups added before m
		for _, m := range ms {
			if !m.Member.Type.IsGroup() {
				continue
			}
			reaches, err := reachesGroup(stored, added, org, m.Group, m.Member)
			if err != nil {
				return err
			}
			if reaches {
				return model.NewError(model.CodeConflict, model.FieldGroupID,
					"%s is already a member of %s: adding %s to %s would close a cycle", m.Group, m.Member, m.Member, m.Group)
			}
			if added == nil {
				added = make(map[model.Subject][]model.Subject)
			}
			added[m.Member] = append(added[m.Member], m.Group)
		}
		// The index is derived on the other core while memdb is written.
		_, err := tx.AddMembershipsThen(org, ms, func() { e.deriveEarly(tx) })
		return err
	})
	return err
}

// RemoveMembers removes memberships from org, all in one commit. Removing one
// that is not there is a no-op — a group "in itself" included, since it can
// never be there; one that is malformed refuses the call as in AddMembers,
// and nothing is removed.
func (e *Engine) RemoveMembers(ctx context.Context, org string, ms ...model.Membership) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, m := range ms {
			if err := e.val.Membership(m); err != nil && !errors.Is(err, model.ErrConflict) {
				return err
			}
		}
		for _, m := range ms {
			if _, err := tx.RemoveMembership(org, m); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// validMemberships checks the shape of each membership (model.Validator's
// Membership), returning the first refusal.
func (e *Engine) validMemberships(ms []model.Membership) error {
	for _, m := range ms {
		if err := e.val.Membership(m); err != nil {
			return err
		}
	}
	return nil
}

// reachesGroup reports whether target is from itself or one of its
// ancestors along the memberships stored in tx and those in added (a group
// member's further groups).
func reachesGroup(tx *store.ReadTxn, added map[model.Subject][]model.Subject, org string, from, target model.Subject) (bool, error) {
	seen := map[model.Subject]bool{from: true}
	queue := []model.Subject{from}
	visit := func(g model.Subject) bool {
		if !seen[g] {
			seen[g] = true
			queue = append(queue, g)
		}
		return true
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			return true, nil
		}
		for _, g := range added[cur] {
			visit(g)
		}
		if err := tx.GroupsOf(org, cur, visit); err != nil {
			return false, err
		}
	}
	return false, nil
}
