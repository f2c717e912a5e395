package main

import (
	"context"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// aceOf is one AccessControlEntry of a job body.
func aceOf(trusteeType int, id string, accessType int, rights int64) map[string]any {
	return map[string]any{"Trustee": map[string]any{"Type": trusteeType, "ObjectId": id}, "AccessType": accessType, "AccessRights": rights}
}

// updateAll is an UpdateAll job body on the streams given, with entries.
func updateAll(streams []string, entries ...map[string]any) map[string]any {
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	return map[string]any{"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": list},
		"Operation": 1, "Scope": 1, "ResourceIds": streams}
}

func TestAvevaDeniedEntriesDeny(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for _, u := range []string{"v1", "v2", "v3", "v4"} {
		require.NoError(t, ts.eng.AddMembers(ctx, orgTenant, model.Membership{Member: model.User(u), Group: model.Role("viewers")}))
	}
	streams := []string{"s1", "s2"}
	sum := runJob(t, ts, updateAll(streams,
		aceOf(avevaTrusteeRole, "viewers", avevaAllowed, rightsKnown),
		aceOf(avevaTrusteeUser, "v1", avevaDenied, rightManageAccessControl),
		aceOf(avevaTrusteeUser, "v2", avevaDenied, rightWrite|rightDelete),
		aceOf(avevaTrusteeUser, "v3", avevaDenied, rightsKnown),
		aceOf(avevaTrusteeUser, "v4", avevaDenied, 0),
	))
	assert.EqualValues(t, 3, sum["Status"], "Succeeded")
	// v1: ManageAccessControl denied takes admin; v2: Write denied takes
	// write, read is kept; v3: Read denied leaves nothing; v4: a Denied entry
	// naming no right denies nothing.
	want := map[string]string{"v1": "write", "v2": "read", "v4": "admin"}
	for _, s := range streams {
		assert.Equal(t, want, streamUsers(t, ts, s), "stream %s", s)
	}

	s1 := model.EntityRef{Type: avevaStreamType, ID: "s1"}
	d, err := ts.eng.Resolve(ctx, orgTenant, "v2", s1)
	require.NoError(t, err)
	require.Len(t, d.Denied, 1, "the explanation names the deny")
	assert.Equal(t, model.EffectDeny, d.Denied[0].Grant.Effect)
	assert.Equal(t, model.LevelWrite, d.Denied[0].Grant.Level)
	assert.Equal(t, model.User("v2"), d.Denied[0].Grant.Grantee)

	// A second UpdateAll replaces the denies with the allows: v3's deny is
	// gone, and so is everyone else's.
	runJob(t, ts, updateAll(streams, aceOf(avevaTrusteeRole, "viewers", avevaAllowed, rightRead)))
	assert.Equal(t, map[string]string{"v1": "read", "v2": "read", "v3": "read", "v4": "read"}, streamUsers(t, ts, "s1"))
	page, err := ts.eng.ListGrants(ctx, orgTenant, model.GrantQuery{Entity: s1})
	require.NoError(t, err)
	require.Len(t, page.Grants, 1)
	assert.Equal(t, model.EffectAllow, page.Grants[0].Effect)
}

func TestAvevaAllowAndDenyOfOneTrustee(t *testing.T) {
	ts := newTestServer(t)
	// One allow and one deny per trustee: admin allowed, Write denied.
	sum := runJob(t, ts, updateAll([]string{"s1"},
		aceOf(avevaTrusteeUser, "u", avevaAllowed, rightsKnown),
		aceOf(avevaTrusteeUser, "u", avevaDenied, rightWrite),
	))
	assert.EqualValues(t, 3, sum["Status"], "Succeeded")
	assert.Equal(t, map[string]string{"u": "read"}, streamUsers(t, ts, "s1"))
}

func TestDeniedLevelOfRights(t *testing.T) {
	cases := []struct {
		mask int64
		want model.Level
		ok   bool
	}{
		{0, model.LevelNone, true},
		{rightRead, model.LevelRead, true},
		{rightsKnown, model.LevelRead, true},
		{rightRead | rightManageAccessControl, model.LevelRead, true},
		{rightWrite, model.LevelWrite, true},
		{rightWrite | rightDelete, model.LevelWrite, true},
		{rightDelete, model.LevelAdmin, true},
		{rightManageAccessControl, model.LevelAdmin, true},
		{rightDelete | rightManageAccessControl, model.LevelAdmin, true},
		{32, 0, false},
		{-1, 0, false},
	}
	for _, c := range cases {
		got, err := deniedLevelOfRights(c.mask)
		if c.ok {
			assert.NoError(t, err, "mask %d", c.mask)
			assert.Equal(t, c.want, got, "mask %d", c.mask)
		} else {
			assert.Error(t, err, "mask %d", c.mask)
		}
	}
}
