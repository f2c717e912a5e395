package main

import (
	"context"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// refuseDuplicates checks an all-or-nothing file against itself and against
// the database before anything is written, so that a duplicate in the last
// organisation of a file does not leave the first ones written. (A membership
// that would close a cycle with stored ones is still found only by AddMembers,
// which refuses that organisation's memberships whole.)
func refuseDuplicates(ctx context.Context, e *engine.Engine, batches []*orgBatch) error {
	// The unique key of a grant: one allow and one deny may share a pair.
	type key struct {
		entity  model.EntityRef
		grantee model.Subject
		effect  model.Effect
	}
	for _, b := range batches {
		seen := make(map[key]int, len(b.grants))
		for i, g := range b.grants {
			k := key{g.Entity, g.Grantee, g.Effect}
			if first, ok := seen[k]; ok {
				return atLinef(b.grantLines[i], "%s already has %s on %s at line %d (--mode all-or-nothing: nothing imported)", g.Grantee, grantWord(g.Effect), g.Entity, first)
			}
			seen[k] = b.grantLines[i]
			// A pair holds at most an allow and a deny: two grants.
			page, err := e.ListGrants(ctx, b.org, model.GrantQuery{Entity: g.Entity, Grantee: g.Grantee, Limit: 2})
			if err != nil {
				return atLine(b.grantLines[i], err)
			}
			for _, stored := range page.Grants {
				if stored.Effect == g.Effect {
					return atLinef(b.grantLines[i], "%s already has %s on %s in %s: %s (--mode all-or-nothing: nothing imported)",
						g.Grantee, grantWord(g.Effect), g.Entity, b.org, stored.ID)
				}
			}
		}
	}
	return nil
}

// grantWord names a grant of effect f in a message.
func grantWord(f model.Effect) string {
	if f == model.EffectDeny {
		return "a deny"
	}
	return "a grant"
}
