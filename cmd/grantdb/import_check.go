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
	type key struct {
		entity  model.EntityRef
		grantee model.Subject
	}
	for _, b := range batches {
		seen := make(map[key]int, len(b.grants))
		for i, g := range b.grants {
			k := key{g.Entity, g.Grantee}
			if first, ok := seen[k]; ok {
				return atLinef(b.grantLines[i], "%s already has a grant on %s at line %d (--mode all-or-nothing: nothing imported)", g.Grantee, g.Entity, first)
			}
			seen[k] = b.grantLines[i]
			page, err := e.ListGrants(ctx, b.org, model.GrantQuery{Entity: g.Entity, Grantee: g.Grantee, Limit: 1})
			if err != nil {
				return atLine(b.grantLines[i], err)
			}
			if len(page.Grants) > 0 {
				return atLinef(b.grantLines[i], "%s already has a grant on %s in %s: %s (--mode all-or-nothing: nothing imported)",
					g.Grantee, g.Entity, b.org, page.Grants[0].ID)
			}
		}
	}
	return nil
}
