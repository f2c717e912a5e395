package resolve_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// An entity's windows are kept only for the grants that have one, in a form
// that changes past 254 windowed grants on one array: Check, Resolve and a
// folder's inherited grants see every window right either side of it.
func TestWindowsOnManyGrants(t *testing.T) {
	for _, n := range []int{3, 254, 255, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var rows []model.Grant
			// Users u0..u(n-1) have a windowed grant on the folder: the even
			// ones active now, the odd ones ended; users o0..o9 an open one
			// on the document, which sits in the folder.
			for i := range n {
				g := model.Grant{ID: fmt.Sprintf("agrant_w%04d", i), Org: org, Entity: folderRef("f"),
					Grantee: model.User(fmt.Sprintf("u%d", i)), Level: model.LevelRead,
					EffectiveFrom: now.Add(-time.Hour), EffectiveTo: now.Add(time.Hour)}
				if i%2 == 1 {
					g.EffectiveTo = now.Add(-time.Minute)
				}
				rows = append(rows, g)
			}
			for i := range 10 {
				rows = append(rows, model.Grant{ID: fmt.Sprintf("agrant_o%04d", i), Org: org, Entity: docRef("d"),
					Grantee: model.User(fmt.Sprintf("o%d", i)), Level: model.LevelWrite})
			}
			cs := store.ChangeSet{Revision: 1, Links: []store.LinkChange{{Org: org, Link: model.EntityLink{Child: docRef("d"), Parent: folderRef("f")}}}}
			for i := range rows {
				cs.Grants = append(cs.Grants, store.GrantChange{Grant: &rows[i]})
			}
			ix := (*resolve.Index)(nil).Apply(cs)
			at := now.UnixNano()
			for i := range n {
				user := fmt.Sprintf("u%d", i)
				active := i%2 == 0
				assert.Equal(t, active, ix.Check(org, user, folderRef("f"), model.LevelRead, at), "%s on the folder", user)
				assert.Equal(t, active, ix.Check(org, user, docRef("d"), model.LevelRead, at), "%s on the document", user)
				want := model.LevelNone
				if active {
					want = model.LevelRead
				}
				assert.Equal(t, want, ix.Resolve(org, user, docRef("d"), at).Level, "%s resolved on the document", user)
			}
			for i := range 10 {
				assert.True(t, ix.Check(org, fmt.Sprintf("o%d", i), docRef("d"), model.LevelWrite, at))
			}
		})
	}
}
