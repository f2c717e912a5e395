package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// prepared makes the rows of ins (in key order) for org.
func prepared(t *testing.T, org string, ins ...model.GrantInput) *store.PreparedGrants {
	t.Helper()
	p := store.NewPreparedGrants(org, len(ins))
	require.NoError(t, p.Prepare(0, len(ins), func(i int) (store.GrantKey, *model.GrantInput) {
		return store.KeyOfEffect(org, ins[i].Entity, ins[i].Grantee, ins[i].Effect), &ins[i]
	}))
	return p
}

func TestPutPreparedStoresReplacesAndRecords(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	old := batchGrant("o1", "d1", "alice", "agrant_01")
	putSorted(t, st, old)

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := func(entity, user string, eff model.Effect) model.GrantInput {
		return model.GrantInput{Entity: model.EntityRef{Type: "document", ID: entity}, Grantee: model.User(user),
			Level: model.LevelWrite, Effect: eff, GrantedBy: "usr_admin", EffectiveTo: at.Add(time.Hour).In(time.FixedZone("x", 3600))}
	}
	p := prepared(t, "o1", in("d1", "alice", model.EffectAllow), in("d1", "alice", model.EffectDeny), in("d2", "bob", model.EffectAllow))
	for i, id := range []string{"agrant_02", "agrant_03", "agrant_04"} {
		g := p.Grant(i)
		g.ID, g.CreatedAt, g.UpdatedAt = id, at, at
	}
	tx := st.Write()
	defer tx.Abort()
	staged := 0
	require.NoError(t, tx.PutPreparedThen(p, []int32{0, 1, 2}, func() {
		staged++
		assert.Len(t, tx.Pending().Grants, 3, "the change set shows every grant when staged runs")
	}))
	assert.Equal(t, 1, staged)
	cs, snap := tx.Commit()
	require.Len(t, cs.Grants, 3)
	assert.Equal(t, old, *cs.Grants[0].Replaced, "the allow replaced the stored allow")
	assert.Nil(t, cs.Grants[1].Replaced)

	want := model.Grant{ID: "agrant_02", Org: "o1", Entity: model.EntityRef{Type: "document", ID: "d1"}, Grantee: model.User("alice"),
		Level: model.LevelWrite, GrantedBy: "usr_admin", EffectiveTo: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
	got, ok := snap.Read().GrantByID("o1", "agrant_02")
	require.True(t, ok)
	assert.Equal(t, want, got, "the window is in UTC")
	got, ok = snap.Read().GrantWithEffect("o1", model.EntityRef{Type: "document", ID: "d1"}, model.User("alice"), model.EffectDeny)
	require.True(t, ok)
	assert.Equal(t, "agrant_03", got.ID)
	_, ok = snap.Read().GrantByID("o1", "agrant_01")
	assert.False(t, ok, "the replaced grant is gone from the id index")
}

func TestPreparedGrantsRefuse(t *testing.T) {
	in := model.GrantInput{Entity: model.EntityRef{Type: "document", ID: "d1"}, Grantee: model.User("alice"), Level: model.LevelRead}
	other := in
	other.Entity.ID = "d10"
	p := store.NewPreparedGrants("o1", 1)
	err := p.Prepare(0, 1, func(int) (store.GrantKey, *model.GrantInput) {
		return store.KeyOf("o1", in.Entity, in.Grantee), &other
	})
	assert.Error(t, err, "a key of another input")

	st, err := store.New()
	require.NoError(t, err)
	p = prepared(t, "o1", in, other)
	tx := st.Write()
	defer tx.Abort()
	assert.Error(t, tx.PutPreparedThen(p, []int32{0}, nil), "a grant without an id")
	p.Grant(0).ID, p.Grant(1).ID = "agrant_01", "agrant_02"
	assert.Error(t, tx.PutPreparedThen(p, []int32{1, 0}, nil), "positions out of order")
	require.NoError(t, tx.PutPreparedThen(p, []int32{0, 1}, nil))
	_, snap := tx.Commit()
	assert.Equal(t, 2, countGrants(t, snap.Read(), store.GrantScan{Org: "o1"}))
}

func TestKeyBlocksMakeKeyOfEffect(t *testing.T) {
	var kb store.KeyBlocks
	e := model.EntityRef{Type: "document", ID: "d1"}
	for i := range 5000 { // past one block
		u := model.User(fmt.Sprintf("usr_%05d", i))
		for _, eff := range []model.Effect{model.EffectAllow, model.EffectDeny} {
			require.Equal(t, store.KeyOfEffect("o1", e, u, eff), kb.KeyOfEffect("o1", e, u, eff))
		}
	}
}
