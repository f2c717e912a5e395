package engine

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// ApplyChange installs one Change of org's feed on e as one commit: grants
// with their ids and every field as the feed carries them, memberships and links as
// they are. It is how a follower applies another engine's feed; the public
// API cannot express it, since CreateGrant draws its own ids. A delete
// removes the grant of that id, if e holds it. A write over a grant of
// another id that the feed has not deleted is an error: a follower that
// keys grants by id would keep that grant forever.
func ApplyChange(ctx context.Context, e *Engine, org string, ch model.Change) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		for _, gc := range ch.Grants {
			if gc.Op == model.ChangeDelete {
				if g, ok := tx.GrantByID(org, gc.Grant.ID); ok {
					if _, err := tx.DeleteGrant(g); err != nil {
						return err
					}
				}
				continue
			}
			// A follower keyed by id must be told of every id that goes: a
			// write over another id that the feed did not delete is a hole.
			g := gc.Grant
			if old, ok := tx.GrantWithEffect(org, g.Entity, g.Grantee, g.Effect); ok && old.ID != g.ID {
				return fmt.Errorf("feed writes grant %s over %s, which it never deleted", g.ID, old.ID)
			}
			if err := tx.PutGrant(g); err != nil {
				return err
			}
		}
		for _, mc := range ch.Memberships {
			var err error
			if mc.Op == model.ChangeDelete {
				_, err = tx.RemoveMembership(org, mc.Membership)
			} else {
				_, err = tx.AddMembership(org, mc.Membership)
			}
			if err != nil {
				return err
			}
		}
		for _, lc := range ch.Links {
			var err error
			if lc.Op == model.ChangeDelete {
				_, err = tx.RemoveLink(org, lc.Link)
			} else {
				_, err = tx.AddLink(org, lc.Link)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return err
}
