package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// CommitDerivingEarly commits, in one transaction of org, the grants of
// before, then starts deriving the index early (as BulkCreate does once its
// batch is staged), then stores after and returns fail: the commit must
// publish an index of everything it committed, or nothing when fail is not
// nil.
func CommitDerivingEarly(ctx context.Context, e *Engine, org string, before, after []model.GrantInput, fail error) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		now := e.clock()
		for _, in := range before {
			if err := tx.PutGrant(e.newGrant(org, in, now)); err != nil {
				return err
			}
		}
		e.deriveEarly(tx)
		for _, in := range after {
			if err := tx.PutGrant(e.newGrant(org, in, now)); err != nil {
				return err
			}
		}
		return fail
	})
	return err
}
