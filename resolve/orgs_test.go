package resolve_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// Denies and links of one organisation change nothing for another: the
// other's answers are as if they did not exist.
func TestDenyAndLinksStayInTheirOrganisation(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	cs, _ := commit(t, st, func(w *store.WriteTxn) {
		putGrant(t, w, "g1", folderRef("f1"), model.User("alice"), model.LevelAdmin)
		require.NoError(t, w.PutGrant(model.Grant{ID: "g2", Org: "org_2", Entity: docRef("d1"),
			Grantee: model.User("alice"), Level: model.LevelRead, Effect: model.EffectDeny}))
		_, err := w.AddLink("org_2", model.EntityLink{Child: docRef("d1"), Parent: folderRef("f1")})
		require.NoError(t, err)
	})
	ix := (*resolve.Index)(nil).Apply(cs)
	at := now.UnixNano()
	assert.False(t, ix.Check(org, "alice", docRef("d1"), model.LevelRead, at), "org_2's link does not put org_1's d1 in f1")
	assert.True(t, ix.Check(org, "alice", folderRef("f1"), model.LevelAdmin, at))
	assert.False(t, ix.Check("org_2", "alice", docRef("d1"), model.LevelRead, at))
}
