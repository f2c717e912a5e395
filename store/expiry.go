package store

import (
	"time"

	"github.com/grantdb/grantdb/model"
)

// Expiry: the grants that have an end, ordered by it, are an index of the
// store (grantIndexes.byEnd), versioned with everything else: a Snapshot
// answers which of its grants have ended at a time, and a write transaction
// which of its own.

// EndedGrants calls fn with each stored grant whose window has ended at t
// (its EffectiveTo is at or before t), earliest end first (then by id),
// until fn returns false.
func (r *ReadTxn) EndedGrants(t time.Time, fn func(g model.Grant) bool) {
	r.grantIdx().byEnd.Ascend(func(row *grantRow) bool {
		if row.g.EffectiveTo.After(t) {
			return false
		}
		return fn(row.g)
	})
}

// GrantsWithEnd returns how many stored grants have an EffectiveTo.
func (r *ReadTxn) GrantsWithEnd() int { return r.grantIdx().byEnd.Len() }
