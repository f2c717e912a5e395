package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const accessPath = "/v1/organizations/org_xyz789/access"

// linkURL is the link route of child (type/id) inside parent (type/id).
func linkURL(child, parent string) string {
	return accessPath + "/entities/" + child + "/parents/" + parent
}

// resolveOneOf returns the decision of GET .../users/{user}/resolved-access/{entity}.
func resolveOneOf(t *testing.T, ts *testServer, user, entity string) map[string]any {
	t.Helper()
	r := ts.do(http.MethodGet, accessPath+"/users/"+user+"/resolved-access/"+entity, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return r.Object(t)
}

func ref(typ, id string) map[string]any { return map[string]any{"type": typ, "id": id} }

func TestLinkEntitiesRoutes(t *testing.T) {
	ts := newTestServer(t)
	// A vector store holding a knowledge slice: its grants reach the slice.
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL("knowledge_slice/ks1", "vector_store/vs1"), keyXYZ, nil).Status)
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL("knowledge_slice/ks1", "vector_store/vs1"), keyXYZ, nil).Status, "linking again is a no-op")
	createGrants(t, ts, [3]string{"vector_store:vs1", "user:u1", "write"})

	d := resolveOneOf(t, ts, "u1", "knowledge_slice/ks1")
	assert.Equal(t, "write", d["access_level"])
	require.Len(t, d["via"], 1)
	via := d["via"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{ref("knowledge_slice", "ks1"), ref("vector_store", "vs1")}, via["entities"], "the chain from the asked entity up to the grant's")
	assert.Equal(t, []any{ref("user", "u1")}, via["chain"])
	assert.Equal(t, []any{}, d["denied"])

	// A direct grant's chain is the entity alone.
	direct := resolveOneOf(t, ts, "u1", "vector_store/vs1")
	assert.Equal(t, []any{ref("vector_store", "vs1")}, direct["via"].([]any)[0].(map[string]any)["entities"])

	// Unlinked, the slice is out of reach; unlinking again is a no-op.
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodDelete, linkURL("knowledge_slice/ks1", "vector_store/vs1"), keyXYZ, nil).Status)
	assert.Equal(t, "none", resolveOneOf(t, ts, "u1", "knowledge_slice/ks1")["access_level"])
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodDelete, linkURL("knowledge_slice/ks1", "vector_store/vs1"), keyXYZ, nil).Status)
}

func TestLinkedDenyReachesBelow(t *testing.T) {
	ts := newTestServer(t)
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL("knowledge_slice/ks1", "vector_store/vs1"), keyXYZ, nil).Status)
	createGrants(t, ts, [3]string{"knowledge_slice:ks1", "department:eng", "admin"})
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, accessPath+"/groups/department/eng/members/user/u1", keyXYZ, nil).Status)
	r := ts.do(http.MethodPost, grantsPath, keyXYZ, map[string]string{
		"entity_type": "vector_store", "entity_id": "vs1", "grantee_type": "department", "grantee_id": "eng", "access_level": "write", "effect": "deny"})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)

	d := resolveOneOf(t, ts, "u1", "knowledge_slice/ks1")
	assert.Equal(t, "read", d["access_level"], "a deny of write on the store caps the slice's admin at read")
	require.Len(t, d["denied"], 1)
	denied := d["denied"].([]any)[0].(map[string]any)
	assert.Equal(t, "deny", denied["grant"].(map[string]any)["effect"])
	assert.Equal(t, []any{ref("knowledge_slice", "ks1"), ref("vector_store", "vs1")}, denied["entities"])
	assert.Equal(t, []any{ref("user", "u1"), ref("department", "eng")}, denied["chain"])
}

func TestLinkEntitiesErrors(t *testing.T) {
	ts := newTestServer(t)
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL("node/b", "node/a"), keyXYZ, nil).Status)
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL("node/c", "node/b"), keyXYZ, nil).Status)
	cases := []struct {
		name, method, path, key string
		status                  int
		code, field             string
	}{
		{"a cycle", http.MethodPut, linkURL("node/a", "node/c"), keyXYZ, 409, "CONFLICT", "parent_id"},
		{"an entity inside itself", http.MethodPut, linkURL("node/a", "node/a"), keyXYZ, 409, "CONFLICT", "parent_id"},
		{"an unknown child type", http.MethodPut, linkURL("folder/f", "node/a"), keyXYZ, 422, "VALIDATION_ERROR", "child_type"},
		{"an unknown parent type", http.MethodPut, linkURL("node/a", "folder/f"), keyXYZ, 422, "VALIDATION_ERROR", "parent_type"},
		{"a child id with a control character", http.MethodPut, linkURL("node/a%01", "node/b"), keyXYZ, 422, "VALIDATION_ERROR", "child_id"},
		{"a parent id with a control character", http.MethodDelete, linkURL("node/a", "node/b%7F"), keyXYZ, 422, "VALIDATION_ERROR", "parent_id"},
		{"another organisation", http.MethodPut, linkURL("node/x", "node/y"), keyOther, 403, "FORBIDDEN", "organization_id"},
		{"no key", http.MethodDelete, linkURL("node/x", "node/y"), "", 401, "UNAUTHORIZED", "X-API-Key"},
		{"GET is not a route", http.MethodGet, linkURL("node/b", "node/a"), keyXYZ, 405, "METHOD_NOT_ALLOWED", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(c.method, c.path, c.key, nil), c.status, c.code, c.field)
		})
	}
	// Nothing refused was linked: a grant on c reaches nothing above it.
	createGrants(t, ts, [3]string{"node:c", "user:u", "read"})
	assert.Equal(t, "none", resolveOneOf(t, ts, "u", "node/a")["access_level"])
}

// TestCanopyTreeCoversTheSubtree: Canopy's nodes are linked into their tree
// with the link route (type node); an assignment at a node then covers every
// node below it.
func TestCanopyTreeCoversTheSubtree(t *testing.T) {
	ts := newTestServer(t)
	for _, l := range [][2]string{{"node/team", "node/org"}, {"node/app", "node/team"}, {"node/other", "node/org"}} {
		require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, linkURL(l[0], l[1]), keyXYZ, nil).Status)
	}
	r := ts.do(http.MethodPost, canopyPath, keyXYZ, canopyAssignments(
		map[string]string{"identity_id": "id1", "node_id": "team", "role_id": "write"}))
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

	app := resolveOneOf(t, ts, "id1", "node/app")
	assert.Equal(t, "write", app["access_level"], "the assignment at team covers app below it")
	assert.Equal(t, []any{ref("node", "app"), ref("node", "team")}, app["via"].([]any)[0].(map[string]any)["entities"])
	assert.Equal(t, "write", resolveOneOf(t, ts, "id1", "node/team")["access_level"])
	assert.Equal(t, "none", resolveOneOf(t, ts, "id1", "node/org")["access_level"], "nothing above the node")
	assert.Equal(t, "none", resolveOneOf(t, ts, "id1", "node/other")["access_level"], "nor beside it")
}
