package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const grantsPath = "/v1/organizations/org_xyz789/access/grants"

// seedCreateRequest is the Aitronos page's request body, verbatim.
const seedCreateRequest = `{ "entity_type": "knowledge_slice", "entity_id": "kslice_abc123", "grantee_type": "user", "grantee_id": "usr_def456", "access_level": "read" }`

// seedCreated is the Aitronos page's 201 example, verbatim.
const seedCreated = `{ "id": "agrant_abc123def456", "entity_type": "knowledge_slice", "entity_id": "kslice_abc123", "grantee_type": "user", "grantee_id": "usr_def456", "access_level": "read", "granted_by": "usr_owner1", "organization_id": "org_xyz789", "created_at": "2025-06-15T10:00:00Z", "updated_at": "2025-06-15T10:00:00Z" }`

// aitronosTypes are the entity types the Aitronos page allows.
var aitronosTypes = []string{"knowledge_slice", "vector_store", "assistant"}

func TestCreateGrantAnswersTheSeedsExample(t *testing.T) {
	ts := newTestServer(t, aitronosTypes...)
	// The page sends the token as a Bearer; granted_by is the one addition
	// the example's response needs (the page's request has no caller id).
	req := newRequest(t, http.MethodPost, grantsPath, strings.Replace(seedCreateRequest, `"access_level": "read"`, `"access_level": "read", "granted_by": "usr_owner1"`, 1))
	req.Header.Set("Authorization", "Bearer "+keyXYZ)
	r := ts.send(req)

	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	got := r.Object(t)
	want := decodeSeed(t, seedCreated).(map[string]any)
	assert.Regexp(t, `^agrant_[0-9a-z]{20}$`, got["id"])
	assert.Equal(t, grantsPath+"/"+got["id"].(string), r.Header.Get("Location"))
	got["id"] = want["id"]
	assert.Equal(t, want, got, "every other field as in the seed")
}

func TestCreateGrantRefusesAnEntityTypeWithTheSeeds422(t *testing.T) {
	ts := newTestServer(t, aitronosTypes...)
	r := ts.do(http.MethodPost, grantsPath, keyXYZ, strings.Replace(seedCreateRequest, "knowledge_slice", "spreadsheet", 1))
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.JSONEq(t, seed422Envelope, string(r.Raw), "the envelope exactly as the seed's example")
}

func TestCreateGrantWithoutGrantedByNamesTheAPIKey(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(http.MethodPost, grantsPath, keyXYZ, seedCreateRequest)
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	assert.Equal(t, principalOf(keyXYZ), r.Object(t)["granted_by"])
	assert.NotContains(t, string(r.Raw), keyXYZ, "the key itself is never echoed")
}

func TestCreateGrantErrors(t *testing.T) {
	valid := map[string]any{"entity_type": "knowledge_slice", "entity_id": "ks1", "grantee_type": "user", "grantee_id": "u1", "access_level": "read"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range valid {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"duplicate", valid, http.StatusConflict, "DUPLICATE", "grantee_id"},
		{"missing entity_id", with("entity_id", nil), 422, "VALIDATION_ERROR", "entity_id"},
		{"bad grantee_type", with("grantee_type", "team"), 422, "VALIDATION_ERROR", "grantee_type"},
		{"missing access_level", with("access_level", nil), 422, "VALIDATION_ERROR", "access_level"},
		{"access_level none", with("access_level", "none"), 422, "VALIDATION_ERROR", "access_level"},
		{"window ended", with("effective_to", "2020-01-01T00:00:00Z"), 422, "VALIDATION_ERROR", "effective_to"},
		{"timestamp unreadable", with("effective_from", "tomorrow"), 400, "BAD_REQUEST", "effective_from"},
		{"wrong type", with("entity_id", 42), 400, "BAD_REQUEST", "entity_id"},
		{"unknown field", with("entity", "x"), 400, "BAD_REQUEST", "entity"},
		{"malformed", `{"entity_type": "knowledge_slice",`, 400, "BAD_REQUEST", ""},
		{"syntax error", `{"entity_type" "x"}`, 400, "BAD_REQUEST", ""},
		{"empty body", "", 400, "BAD_REQUEST", ""},
		{"array body", `[]`, 400, "BAD_REQUEST", ""},
		{"two values", `{} {}`, 400, "BAD_REQUEST", ""},
		{"too large", `{"entity_id": "` + strings.Repeat("x", 64<<10) + `"}`, 413, "PAYLOAD_TOO_LARGE", ""},
	}
	ts := newTestServer(t)
	ts.srv.limits.maxBody = 64 << 10
	require.Equal(t, http.StatusCreated, ts.do(http.MethodPost, grantsPath, keyXYZ, valid).Status)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, c.body), c.status, c.code, c.field)
		})
	}
	page := ts.do(http.MethodGet, grantsPath, keyXYZ, nil).Object(t)
	assert.Len(t, page["grants"], 1, "no refused request wrote anything")
}

func TestGrantLifecycle(t *testing.T) {
	ts := newTestServer(t)
	created := ts.do(http.MethodPost, grantsPath, keyXYZ, seedCreateRequest)
	require.Equal(t, http.StatusCreated, created.Status)
	id := created.Object(t)["id"].(string)
	one := grantsPath + "/" + id

	got := ts.do(http.MethodGet, one, keyXYZ, nil)
	require.Equal(t, http.StatusOK, got.Status)
	assert.JSONEq(t, string(created.Raw), string(got.Raw))

	upd := ts.do(http.MethodPatch, one, keyXYZ, `{"access_level": "write"}`)
	require.Equal(t, http.StatusOK, upd.Status, "body: %s", upd.Raw)
	assert.Equal(t, "write", upd.Object(t)["access_level"])
	assert.Equal(t, id, upd.Object(t)["id"])
	assert.Equal(t, "write", ts.do(http.MethodGet, one, keyXYZ, nil).Object(t)["access_level"])

	assertEnvelope(t, ts.do(http.MethodPatch, one, keyXYZ, `{"access_level": "owner"}`), 422, "VALIDATION_ERROR", "access_level")
	assertEnvelope(t, ts.do(http.MethodPatch, one, keyXYZ, `{"access_level": "read", "entity_id": "x"}`), 400, "BAD_REQUEST", "entity_id")

	del := ts.do(http.MethodDelete, one, keyXYZ, nil)
	require.Equal(t, http.StatusNoContent, del.Status)
	assert.Empty(t, del.Raw)
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		assertEnvelope(t, ts.do(m, one, keyXYZ, nil), 404, "NOT_FOUND", "grant_id")
	}
	assertEnvelope(t, ts.do(http.MethodPatch, one, keyXYZ, `{"access_level": "read"}`), 404, "NOT_FOUND", "grant_id")
}

func TestAnotherOrganisationsGrantIsNotFound(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(http.MethodPost, "/v1/organizations/org_other/access/grants", keyOther, seedCreateRequest)
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.Object(t)["id"].(string)
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"/"+id, keyXYZ, nil), 404, "NOT_FOUND", "grant_id")
	assertEnvelope(t, ts.do(http.MethodDelete, grantsPath+"/"+id, keyXYZ, nil), 404, "NOT_FOUND", "grant_id")
}

// createGrants creates one grant per (entity, grantee, level) triple.
func createGrants(t *testing.T, ts *testServer, triples ...[3]string) {
	t.Helper()
	for _, g := range triples {
		typ, id, _ := strings.Cut(g[0], ":")
		gt, gid, _ := strings.Cut(g[1], ":")
		body := map[string]string{"entity_type": typ, "entity_id": id, "grantee_type": gt, "grantee_id": gid, "access_level": g[2]}
		r := ts.do(http.MethodPost, grantsPath, keyXYZ, body)
		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	}
}

func TestListGrantsFiltersAndPages(t *testing.T) {
	ts := newTestServer(t)
	createGrants(t, ts,
		[3]string{"knowledge_slice:ks1", "user:u1", "read"},
		[3]string{"knowledge_slice:ks1", "user:u2", "write"},
		[3]string{"knowledge_slice:ks1", "role:r1", "admin"},
		[3]string{"knowledge_slice:ks2", "user:u1", "read"},
		[3]string{"assistant:a1", "user:u1", "admin"},
	)
	// Every page but the last is full; the cursor leads through all five.
	var ids []string
	next := grantsPath + "?limit=2"
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 5, "the cursor must end")
		p := ts.do(http.MethodGet, next, keyXYZ, nil)
		require.Equal(t, http.StatusOK, p.Status, "body: %s", p.Raw)
		body := p.Object(t)
		for _, g := range body["grants"].([]any) {
			ids = append(ids, g.(map[string]any)["id"].(string))
		}
		next = ""
		if body["has_more"].(bool) {
			assert.Len(t, body["grants"], 2)
			next = grantsPath + "?limit=2&cursor=" + body["next_cursor"].(string)
		} else {
			assert.Nil(t, body["next_cursor"])
		}
	}
	assert.Len(t, ids, 5)

	count := func(query string) int {
		r := ts.do(http.MethodGet, grantsPath+query, keyXYZ, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", query, r.Raw)
		return len(r.Object(t)["grants"].([]any))
	}
	assert.Equal(t, 3, count("?entity_type=knowledge_slice&entity_id=ks1"))
	assert.Equal(t, 4, count("?entity_type=knowledge_slice"))
	assert.Equal(t, 3, count("?grantee_type=user&grantee_id=u1"))
	assert.Equal(t, 2, count("?min_level=admin"))
	assert.Equal(t, 0, count("?entity_type=vector_store"))

	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?limit=-1", keyXYZ, nil), 422, "VALIDATION_ERROR", "limit")
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?limit=x", keyXYZ, nil), 422, "VALIDATION_ERROR", "limit")
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?cursor=bogus", keyXYZ, nil), 422, "VALIDATION_ERROR", "cursor")
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?min_level=owner", keyXYZ, nil), 422, "VALIDATION_ERROR", "min_level")
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?entity_id=ks1", keyXYZ, nil), 422, "VALIDATION_ERROR", "entity_type")
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath+"?grantee_type=team&grantee_id=t", keyXYZ, nil), 422, "VALIDATION_ERROR", "grantee_type")
}

func TestPerEntityGrantLists(t *testing.T) {
	ts := newTestServer(t)
	createGrants(t, ts,
		[3]string{"knowledge_slice:ks1", "user:u1", "read"},
		[3]string{"knowledge_slice:ks1", "user:u2", "write"},
		[3]string{"vector_store:vs1", "user:u1", "read"},
		[3]string{"assistant:a1", "role:r1", "admin"},
	)
	base := "/v1/organizations/org_xyz789/access"
	for _, c := range []struct {
		alias, generic string
		n              int
	}{
		{"/knowledge-slices/ks1/grants", "/entities/knowledge_slice/ks1/grants", 2},
		{"/vector-stores/vs1/grants", "/entities/vector_store/vs1/grants", 1},
		{"/assistants/a1/grants", "/entities/assistant/a1/grants", 1},
	} {
		a := ts.do(http.MethodGet, base+c.alias, keyXYZ, nil)
		g := ts.do(http.MethodGet, base+c.generic, keyXYZ, nil)
		require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Raw)
		assert.JSONEq(t, string(g.Raw), string(a.Raw), c.alias)
		assert.Len(t, a.Object(t)["grants"], c.n, c.alias)
	}
	assertEnvelope(t, ts.do(http.MethodGet, base+"/entities/spreadsheet/x/grants", keyXYZ, nil), 422, "VALIDATION_ERROR", "entity_type")
}

func TestResolvedAccessAndUsersWithAccess(t *testing.T) {
	ts := newTestServer(t)
	base := "/v1/organizations/org_xyz789/access"
	member := func(method, group, user string) response {
		return ts.do(method, base+"/groups/department/"+group+"/members/user/"+user, keyXYZ, nil)
	}
	require.Equal(t, http.StatusNoContent, member(http.MethodPut, "eng", "alice").Status)
	require.Equal(t, http.StatusNoContent, member(http.MethodPut, "eng", "alice").Status, "adding again is a no-op")
	createGrants(t, ts,
		[3]string{"knowledge_slice:ks1", "department:eng", "write"},
		[3]string{"knowledge_slice:ks1", "user:bob", "read"},
		[3]string{"assistant:a1", "user:alice", "read"},
	)

	r := ts.do(http.MethodGet, base+"/users/alice/resolved-access", keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	body := r.Object(t)
	assert.Equal(t, "alice", body["user_id"])
	ents := body["entities"].([]any)
	require.Len(t, ents, 2)
	first := ents[0].(map[string]any) // sorted by type: assistant first
	assert.Equal(t, "assistant", first["entity_type"])
	ks := ents[1].(map[string]any)
	assert.Equal(t, "ks1", ks["entity_id"])
	assert.Equal(t, "write", ks["access_level"])
	via := ks["via"].([]any)[0].(map[string]any)
	assert.Equal(t, "department", via["grant"].(map[string]any)["grantee_type"])
	assert.Equal(t, []any{
		map[string]any{"type": "user", "id": "alice"},
		map[string]any{"type": "department", "id": "eng"},
	}, via["chain"])

	filtered := ts.do(http.MethodGet, base+"/users/alice/resolved-access?entity_type=knowledge_slice&min_level=write", keyXYZ, nil)
	assert.Len(t, filtered.Object(t)["entities"], 1)

	users := ts.do(http.MethodGet, base+"/entities/knowledge_slice/ks1/users", keyXYZ, nil)
	require.Equal(t, http.StatusOK, users.Status, "body: %s", users.Raw)
	var names []string
	for _, u := range users.Object(t)["users"].([]any) {
		u := u.(map[string]any)
		names = append(names, fmt.Sprint(u["user_id"], "=", u["access_level"]))
	}
	assert.Equal(t, []string{"alice=write", "bob=read"}, names)
	writers := ts.do(http.MethodGet, base+"/entities/knowledge_slice/ks1/users?min_level=write", keyXYZ, nil)
	assert.Len(t, writers.Object(t)["users"], 1)

	one := ts.do(http.MethodGet, base+"/users/alice/resolved-access/knowledge_slice/ks1", keyXYZ, nil)
	require.Equal(t, http.StatusOK, one.Status)
	assert.Equal(t, "write", one.Object(t)["access_level"])

	require.Equal(t, http.StatusNoContent, member(http.MethodDelete, "eng", "alice").Status)
	none := ts.do(http.MethodGet, base+"/users/alice/resolved-access/knowledge_slice/ks1", keyXYZ, nil)
	assert.Equal(t, "none", none.Object(t)["access_level"])
	assert.Empty(t, none.Object(t)["via"])
	require.Equal(t, http.StatusNoContent, member(http.MethodDelete, "eng", "alice").Status, "removing again is a no-op")

	// Errors of these calls.
	assertEnvelope(t, ts.do(http.MethodGet, base+"/users/alice/resolved-access?min_level=owner", keyXYZ, nil), 422, "VALIDATION_ERROR", "min_level")
	assertEnvelope(t, ts.do(http.MethodGet, base+"/users/alice/resolved-access?entity_type=Bad", keyXYZ, nil), 422, "VALIDATION_ERROR", "entity_type")
	assertEnvelope(t, ts.do(http.MethodGet, base+"/entities/nope/x/users", keyXYZ, nil), 422, "VALIDATION_ERROR", "entity_type")
	assertEnvelope(t, ts.do(http.MethodPut, base+"/groups/team/t1/members/user/u", keyXYZ, nil), 422, "VALIDATION_ERROR", "group_type")
	require.Equal(t, http.StatusNoContent, ts.do(http.MethodPut, base+"/groups/department/a/members/department/b", keyXYZ, nil).Status)
	assertEnvelope(t, ts.do(http.MethodPut, base+"/groups/department/b/members/department/a", keyXYZ, nil), 409, "CONFLICT", "group_id")
}

func TestBulkCreateGrants(t *testing.T) {
	ts := newTestServer(t)
	bulkPath := grantsPath + "/bulk"
	item := func(entity, user, level string) map[string]string {
		return map[string]string{"entity_type": "knowledge_slice", "entity_id": entity, "grantee_type": "user", "grantee_id": user, "access_level": level}
	}
	createGrants(t, ts, [3]string{"knowledge_slice:ks1", "user:u1", "read"})

	statuses := func(r response) []string {
		var out []string
		for _, it := range r.Object(t)["results"].([]any) {
			out = append(out, it.(map[string]any)["status"].(string))
		}
		return out
	}
	// Skip duplicates (the default): the existing grant and a repeat skipped.
	r := ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"grants": []any{item("ks1", "u1", "read"), item("ks1", "u2", "read"), item("ks1", "u2", "write")}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Equal(t, []string{"skipped", "created", "skipped"}, statuses(r))
	assert.Equal(t, map[string]any{"total": 3.0, "succeeded": 1.0, "skipped": 2.0, "failed": 0.0}, r.Object(t)["summary"])

	// A failure among successes: 207.
	r = ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"grants": []any{item("ks2", "u1", "read"), item("", "u1", "read")}})
	require.Equal(t, http.StatusMultiStatus, r.Status, "body: %s", r.Raw)
	failed := r.Object(t)["results"].([]any)[1].(map[string]any)
	assert.Equal(t, map[string]any{"code": "VALIDATION_ERROR", "message": "entity_id is required", "details": map[string]any{"field": "entity_id"}}, failed["error"])

	// All or nothing refused by a duplicate: 409, nothing written.
	r = ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"mode": "all_or_nothing", "grants": []any{item("ks3", "u1", "read"), item("ks1", "u1", "read")}})
	require.Equal(t, http.StatusConflict, r.Status, "body: %s", r.Raw)
	assert.Equal(t, []string{"rolled_back", "failed"}, statuses(r))
	assert.Equal(t, false, r.Object(t)["committed"])
	assert.Empty(t, ts.do(http.MethodGet, grantsPath+"?entity_type=knowledge_slice&entity_id=ks3", keyXYZ, nil).Object(t)["grants"])

	// ... and by an invalid item: 422.
	r = ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"mode": "all_or_nothing", "grants": []any{item("ks3", "u1", "owner")}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "body: %s", r.Raw)

	// Upsert takes the new level and keeps the id.
	r = ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"mode": "upsert", "grants": []any{item("ks1", "u1", "admin")}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Equal(t, []string{"updated"}, statuses(r))

	assertEnvelope(t, ts.do(http.MethodPost, bulkPath, keyXYZ, `{"mode": "sometimes", "grants": []}`), 422, "VALIDATION_ERROR", "mode")
	assertEnvelope(t, ts.do(http.MethodPost, bulkPath, keyXYZ, `{}`), 422, "VALIDATION_ERROR", "grants")
	assertEnvelope(t, ts.do(http.MethodPost, bulkPath, keyXYZ, map[string]any{"grants": []any{item("a", "b", "read"), map[string]string{"effective_to": "soon"}}}), 400, "BAD_REQUEST", "grants[1].effective_to")
	assertEnvelope(t, ts.do(http.MethodPost, bulkPath, keyXYZ, `{"grants": [{"entity_id": 1}]}`), 400, "BAD_REQUEST", "grants[0].entity_id")
}
