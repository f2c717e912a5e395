package store_test

import (
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/require"
)

var testTime = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func newTestStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.New()
	require.NoError(t, err)
	return s
}

// testGrant returns a grant of org on entity (typ, id) to grantee.
func testGrant(id, org, typ, entity string, grantee model.Subject, level model.Level) model.Grant {
	return model.Grant{
		ID: id, Org: org,
		Entity:  model.EntityRef{Type: typ, ID: entity},
		Grantee: grantee, Level: level, GrantedBy: "usr_owner",
		CreatedAt: testTime, UpdatedAt: testTime,
	}
}

// commitGrants stores gs in one transaction and returns its change set.
func commitGrants(t testing.TB, s *store.Store, gs ...model.Grant) store.ChangeSet {
	t.Helper()
	w := s.Write()
	defer w.Abort()
	for _, g := range gs {
		require.NoError(t, w.PutGrant(g))
	}
	cs, _ := w.Commit()
	return cs
}
