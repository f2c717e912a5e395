package engine

import (
	"context"
	"errors"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// LinkEntities puts each link's Child inside its Parent in org, all or none:
// grants on a parent, allows and denies, then apply to its children and
// everything below them. An entity may sit in several parents. A link that
// is malformed (ErrValidation naming child_type, child_id, parent_type or
// parent_id), of an entity to itself, or one that would close a cycle
// (ErrConflict on parent_id) refuses the call, and nothing is linked. Links
// that already exist are no-ops.
func (e *Engine) LinkEntities(ctx context.Context, org string, links ...model.EntityLink) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, l := range links {
			if err := e.val.EntityLink(l); err != nil {
				return err
			}
		}
		for _, l := range links {
			reaches, err := reachesEntity(&tx.ReadTxn, org, l.Parent, l.Child)
			if err != nil {
				return err
			}
			if reaches {
				return model.NewError(model.CodeConflict, model.FieldParentID,
					"%s is already inside %s: putting %s inside %s would close a cycle", l.Parent, l.Child, l.Child, l.Parent)
			}
			if _, err := tx.AddLink(org, l); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// UnlinkEntities removes links from org, all in one commit. Removing one that
// is not there is a no-op (an entity "inside itself" included); a malformed
// one refuses the call as in LinkEntities, and nothing is removed.
func (e *Engine) UnlinkEntities(ctx context.Context, org string, links ...model.EntityLink) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, l := range links {
			if err := e.val.EntityLink(l); err != nil && !errors.Is(err, model.ErrConflict) {
				return err
			}
		}
		for _, l := range links {
			if _, err := tx.RemoveLink(org, l); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// reachesEntity reports whether target is from itself or an entity above
// it along links.
func reachesEntity(tx *store.ReadTxn, org string, from, target model.EntityRef) (bool, error) {
	seen := map[model.EntityRef]bool{from: true}
	queue := []model.EntityRef{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			return true, nil
		}
		err := tx.ParentsOf(org, cur, func(p model.EntityRef) bool {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
			return true
		})
		if err != nil {
			return false, err
		}
	}
	return false, nil
}
