package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grantWith is a create body: a user's grant on a knowledge slice, with the
// effect given ("" sends none).
func grantWith(entity, user, level, effect string) map[string]string {
	b := map[string]string{"entity_type": "knowledge_slice", "entity_id": entity, "grantee_type": "user", "grantee_id": user, "access_level": level}
	if effect != "" {
		b["effect"] = effect
	}
	return b
}

func TestCreateGrantTakesAnEffect(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name, user, effect string
		wantEffect         any // nil: the grant JSON has no "effect"
	}{
		{"no effect is allow, written as none", "u1", "", nil},
		{"allow is written as none (the seed's shape)", "u2", "allow", nil},
		{"deny is written", "u3", "deny", "deny"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.do(http.MethodPost, grantsPath, keyXYZ, grantWith("ks1", c.user, "write", c.effect))
			require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
			g := r.Object(t)
			effect, has := g["effect"]
			assert.Equal(t, c.wantEffect != nil, has, "grant: %v", g)
			assert.Equal(t, c.wantEffect, effect)
			got := ts.do(http.MethodGet, grantsPath+"/"+g["id"].(string), keyXYZ, nil).Object(t)
			assert.Equal(t, g, got, "read back as created")
		})
	}

	// One allow and one deny per (entity, grantee): a second deny is a duplicate.
	require.Equal(t, http.StatusCreated, ts.do(http.MethodPost, grantsPath, keyXYZ, grantWith("ks1", "u1", "admin", "deny")).Status)
	assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, grantWith("ks1", "u1", "read", "deny")), 409, "DUPLICATE", "grantee_id")

	for _, bad := range []string{"Deny", "forbid", " allow"} {
		e := assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, grantWith("ks1", "u9", "read", bad)), 422, "VALIDATION_ERROR", "effect")
		assert.Equal(t, "effect must be one of {'allow', 'deny'}", e["details"].(map[string]any)["message"])
	}
	// Fields are checked in order: a bad level is named before a bad effect.
	assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, grantWith("ks1", "u9", "owner", "forbid")), 422, "VALIDATION_ERROR", "access_level")
	assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, `{"entity_type": "knowledge_slice", "entity_id": "k", "grantee_type": "user", "grantee_id": "u", "access_level": "read", "effect": 1}`),
		400, "BAD_REQUEST", "effect")
}

func TestBulkCreateTakesAnEffect(t *testing.T) {
	ts := newTestServer(t)
	bulkPath := grantsPath + "/bulk"
	r := ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"grants": []any{
		grantWith("ks1", "u1", "admin", ""),
		grantWith("ks1", "u1", "write", "deny"),
		grantWith("ks1", "u1", "read", "deny"),
		grantWith("ks1", "u2", "read", "never"),
	}})
	require.Equal(t, http.StatusMultiStatus, r.Status, "body: %s", r.Raw)
	results := r.Object(t)["results"].([]any)
	require.Len(t, results, 4)
	status := func(i int) map[string]any { return results[i].(map[string]any) }
	assert.Equal(t, "created", status(0)["status"])
	assert.NotContains(t, status(0)["grant"], "effect")
	assert.Equal(t, "created", status(1)["status"], "the deny has its own key")
	assert.Equal(t, "deny", status(1)["grant"].(map[string]any)["effect"])
	assert.Equal(t, "skipped", status(2)["status"], "a second deny of the pair is a duplicate")
	assert.Equal(t, "failed", status(3)["status"])
	assert.Equal(t, map[string]any{"code": "VALIDATION_ERROR", "message": "effect must be one of {'allow', 'deny'}", "details": map[string]any{"field": "effect"}},
		status(3)["error"])

	// u1: admin allowed, write denied: read is left, and the answer says why.
	one := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/users/u1/resolved-access/knowledge_slice/ks1", keyXYZ, nil)
	require.Equal(t, http.StatusOK, one.Status, "body: %s", one.Raw)
	d := one.Object(t)
	assert.Equal(t, "read", d["access_level"])
	require.Len(t, d["via"], 1)
	assert.Equal(t, "admin", d["via"].([]any)[0].(map[string]any)["grant"].(map[string]any)["access_level"])
	require.Len(t, d["denied"], 1)
	denied := d["denied"].([]any)[0].(map[string]any)
	assert.Equal(t, "deny", denied["grant"].(map[string]any)["effect"])
	assert.Equal(t, "write", denied["grant"].(map[string]any)["access_level"])
	assert.Equal(t, []any{map[string]any{"type": "user", "id": "u1"}}, denied["chain"])
	assert.Equal(t, []any{map[string]any{"type": "knowledge_slice", "id": "ks1"}}, denied["entities"])
	assert.EqualValues(t, 1, d["denied_total"])

	// The user's listing carries denies too.
	list := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/users/u1/resolved-access", keyXYZ, nil).Object(t)
	ents := list["entities"].([]any)
	require.Len(t, ents, 1)
	assert.Len(t, ents[0].(map[string]any)["denied"], 1)
	users := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/entities/knowledge_slice/ks1/users", keyXYZ, nil).Object(t)["users"].([]any)
	require.Len(t, users, 1)
	assert.Equal(t, "read", users[0].(map[string]any)["access_level"], "the deny caps the level")
}
