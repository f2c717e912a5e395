package store_test

import (
	"iter"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func denyOf(g model.Grant, id string) model.Grant {
	g.ID, g.Effect = id, model.EffectDeny
	return g
}

func scanEffects(t *testing.T, r *store.ReadTxn, q store.GrantScan) ([]string, []string) {
	t.Helper()
	var ids, pos []string
	require.NoError(t, r.ScanGrants(q, func(p string, g model.Grant) bool {
		ids, pos = append(ids, g.ID), append(pos, p)
		return true
	}))
	return ids, pos
}

// An allow and a deny of one (entity, grantee) are two grants, each under
// its own key; listing order is entity, grantee, effect (allow first), and a
// grantee id that extends another's sorts after both of the shorter's.
func TestGrantKeyHoldsTheEffect(t *testing.T) {
	s := newTestStore(t)
	allowAn := testGrant("g1", "org", "document", "d1", model.User("an"), model.LevelAdmin)
	denyAn := denyOf(testGrant("", "org", "document", "d1", model.User("an"), model.LevelWrite), "g2")
	allowAnn := testGrant("g3", "org", "document", "d1", model.User("ann"), model.LevelRead)
	denyAnn := denyOf(allowAnn, "g4")
	commitGrants(t, s, denyAnn, allowAnn, denyAn, allowAn)
	r := s.Snapshot().Read()

	got, ok := r.GrantByKey("org", allowAn.Entity, allowAn.Grantee)
	require.True(t, ok)
	assert.Equal(t, "g1", got.ID, "GrantByKey finds the allow")
	got, ok = r.GrantWithEffect("org", allowAn.Entity, allowAn.Grantee, model.EffectDeny)
	require.True(t, ok)
	assert.Equal(t, "g2", got.ID)
	assert.Equal(t, model.EffectDeny, got.Effect)

	ids, _ := scanEffects(t, r, store.GrantScan{Org: "org", Entity: allowAn.Entity})
	assert.Equal(t, []string{"g1", "g2", "g3", "g4"}, ids)
	ids, _ = scanEffects(t, r, store.GrantScan{Org: "org", Entity: allowAn.Entity, Grantee: allowAn.Grantee})
	assert.Equal(t, []string{"g1", "g2"}, ids, "entity and grantee: the allow and the deny, no longer grantee id")
	ids, pos := scanEffects(t, r, store.GrantScan{Org: "org", Grantee: model.User("an")})
	assert.Equal(t, []string{"g1", "g2"}, ids)
	ids, _ = scanEffects(t, r, store.GrantScan{Org: "org", Grantee: model.User("an"), After: pos[0]})
	assert.Equal(t, []string{"g2"}, ids, "a position by grantee resumes after the allow")
	_, pos = scanEffects(t, r, store.GrantScan{Org: "org", Entity: allowAn.Entity, Grantee: allowAn.Grantee})
	ids, _ = scanEffects(t, r, store.GrantScan{Org: "org", Entity: allowAn.Entity, Grantee: allowAn.Grantee, After: pos[0]})
	assert.Equal(t, []string{"g2"}, ids)
	ids, _ = scanEffects(t, r, store.GrantScan{Org: "org", Entity: allowAn.Entity, Grantee: allowAn.Grantee, After: pos[1]})
	assert.Empty(t, ids)

	// Deleting the deny leaves the allow.
	w := s.Write()
	deleted, err := w.DeleteGrant(denyAn)
	require.NoError(t, err)
	assert.True(t, deleted)
	w.Commit()
	r = s.Snapshot().Read()
	_, ok = r.GrantWithEffect("org", allowAn.Entity, allowAn.Grantee, model.EffectDeny)
	assert.False(t, ok)
	_, ok = r.GrantByKey("org", allowAn.Entity, allowAn.Grantee)
	assert.True(t, ok)
}

func TestKeyOfEffectOrder(t *testing.T) {
	e := model.EntityRef{Type: "document", ID: "d1"}
	allow := store.KeyOfEffect("org", e, model.User("an"), model.EffectAllow)
	deny := store.KeyOfEffect("org", e, model.User("an"), model.EffectDeny)
	longer := store.KeyOfEffect("org", e, model.User("an "), model.EffectAllow)
	assert.Equal(t, store.KeyOf("org", e, model.User("an")), allow)
	assert.Equal(t, -1, allow.Compare(deny))
	assert.Equal(t, -1, deny.Compare(longer))
}

func TestPutGrantsWithDenies(t *testing.T) {
	s := newTestStore(t)
	a := testGrant("g1", "org", "document", "d1", model.User("ann"), model.LevelAdmin)
	d := denyOf(a, "g2")
	gs := []model.Grant{a, d}
	w := s.Write()
	var seq iter.Seq2[store.GrantKey, *model.Grant] = func(yield func(store.GrantKey, *model.Grant) bool) {
		for i := range gs {
			if !yield(store.KeyOfEffect(gs[i].Org, gs[i].Entity, gs[i].Grantee, gs[i].Effect), &gs[i]) {
				return
			}
		}
	}
	require.NoError(t, w.PutGrants(seq))
	w.Commit()
	_, ok := s.Snapshot().Read().GrantWithEffect("org", a.Entity, a.Grantee, model.EffectDeny)
	assert.True(t, ok)

	// A key whose effect is not its grant's is refused.
	w = s.Write()
	defer w.Abort()
	err := w.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
		yield(store.KeyOf(d.Org, d.Entity, d.Grantee), &d)
	})
	assert.Error(t, err)
}
