package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const canopyPath = "/api/v1/assignments/bulk-create"

// seedCanopy200 and seedCanopy207 are the Canopy page's examples, verbatim.
const seedCanopy200 = `{ "summary": { "total": 0, "succeeded": 0, "failed": 0 }, "results": [ { "index": 0, "status": "success", "code": 0, "data": { "id": "string", "identity_id": "string", "application_node_id": "string", "role_id": "string", "effective_from": "2026-04-20T12:00:00.000Z", "effective_to": "2026-04-20T12:00:00.000Z", "created_at": "2026-04-20T12:00:00.000Z", "updated_at": "2026-04-20T12:00:00.000Z" } } ] }`

const seedCanopy207Error = `{ "index": 0, "status": "error", "code": 0, "input": {}, "error": { "code": "string", "message": "string", "details": {} } }`

const canopyTimeRE = `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`

func canopyAssignments(items ...map[string]string) map[string]any {
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	return map[string]any{"assignments": list}
}

func TestCanopyBulkCreateAllSucceed(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(http.MethodPost, canopyPath, keyXYZ, canopyAssignments(
		map[string]string{"identity_id": "id1", "node_id": "n1", "role_id": "admin",
			"effective_from": "2026-04-20T12:00:00.000Z", "effective_to": "2027-04-20T12:00:00Z"},
		map[string]string{"identity_id": "id2", "node_id": "n1", "role_id": "read",
			"effective_from": "2025-01-01T00:00:00+02:00", "effective_to": "2026-04-20T12:00:00.000Z"},
	))
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	body := r.Object(t)
	assertShape(t, decodeSeed(t, seedCanopy200), body, "")
	assert.Equal(t, map[string]any{"total": 2.0, "succeeded": 2.0, "failed": 0.0, "skipped": 0.0}, body["summary"])
	results := body["results"].([]any)
	first := results[0].(map[string]any)
	assert.EqualValues(t, 0, first["index"])
	assert.Equal(t, "success", first["status"])
	assert.EqualValues(t, http.StatusCreated, first["code"])
	data := first["data"].(map[string]any)
	assert.Equal(t, "id1", data["identity_id"])
	assert.Equal(t, "n1", data["application_node_id"])
	assert.Equal(t, "admin", data["role_id"])
	assert.Equal(t, "2026-04-20T12:00:00.000Z", data["effective_from"])
	assert.Equal(t, "2027-04-20T12:00:00.000Z", data["effective_to"])
	for _, k := range []string{"created_at", "updated_at"} {
		assert.Regexp(t, canopyTimeRE, data[k])
	}
	second := results[1].(map[string]any)["data"].(map[string]any)
	assert.Equal(t, "2024-12-31T22:00:00.000Z", second["effective_from"], "times are written in UTC")

	// The assignments are grants on entities of type node.
	users := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/entities/node/n1/users", keyXYZ, nil)
	assert.Len(t, users.Object(t)["users"], 1, "id1's window has not started at the test clock")

	open := ts.do(http.MethodPost, canopyPath, keyXYZ, canopyAssignments(map[string]string{"identity_id": "id3", "node_id": "n2", "role_id": "write"}))
	require.Equal(t, http.StatusOK, open.Status)
	data = open.Object(t)["results"].([]any)[0].(map[string]any)["data"].(map[string]any)
	assert.Nil(t, data["effective_from"], "an open bound is null")
	assert.Nil(t, data["effective_to"])
}

func TestCanopyBulkCreateIsAllOrNothing(t *testing.T) {
	ts := newTestServer(t)
	require.Equal(t, http.StatusOK, ts.do(http.MethodPost, canopyPath, keyXYZ,
		canopyAssignments(map[string]string{"identity_id": "id1", "node_id": "n1", "role_id": "read"})).Status)

	cases := []struct {
		name   string
		items  []map[string]string
		status int
		codes  []string
	}{
		{"a duplicate: 409", []map[string]string{
			{"identity_id": "id2", "node_id": "n1", "role_id": "read"},
			{"identity_id": "id1", "node_id": "n1", "role_id": "write"},
		}, http.StatusConflict, []string{"ROLLED_BACK", "DUPLICATE"}},
		{"an unknown role: 422", []map[string]string{
			{"identity_id": "id2", "node_id": "n1", "role_id": "owner"},
			{"identity_id": "id3", "node_id": "n1", "role_id": "read"},
		}, http.StatusUnprocessableEntity, []string{"VALIDATION_ERROR", "ROLLED_BACK"}},
		{"a window already over: 422", []map[string]string{
			{"identity_id": "id2", "node_id": "n1", "role_id": "read", "effective_to": "2020-01-01T00:00:00Z"},
		}, http.StatusUnprocessableEntity, []string{"VALIDATION_ERROR"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.do(http.MethodPost, canopyPath, keyXYZ, canopyAssignments(c.items...))
			require.Equal(t, c.status, r.Status, "body: %s", r.Raw)
			body := r.Object(t)
			assert.Equal(t, map[string]any{"total": float64(len(c.items)), "succeeded": 0.0, "failed": float64(len(c.items)), "skipped": 0.0}, body["summary"])
			for i, res := range body["results"].([]any) {
				res := res.(map[string]any)
				assertShape(t, decodeSeed(t, seedCanopy207Error), res, "results")
				assert.Equal(t, "error", res["status"])
				assert.Equal(t, c.codes[i], res["error"].(map[string]any)["code"])
				assert.Equal(t, c.items[i]["identity_id"], res["input"].(map[string]any)["identity_id"], "the input is echoed")
				assert.NotContains(t, res, "data")
			}
		})
	}
	unknownRole := ts.do(http.MethodPost, canopyPath, keyXYZ, canopyAssignments(map[string]string{"identity_id": "x", "node_id": "n", "role_id": "owner"}))
	e := unknownRole.Object(t)["results"].([]any)[0].(map[string]any)
	assert.EqualValues(t, http.StatusUnprocessableEntity, e["code"])
	assert.Equal(t, map[string]any{"code": "VALIDATION_ERROR", "message": "role_id must be one of {'read', 'write', 'admin'}", "details": map[string]any{"field": "role_id"}}, e["error"])

	users := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/entities/node/n1/users", keyXYZ, nil)
	assert.Len(t, users.Object(t)["users"], 1, "no refused batch wrote anything")
}

func TestCanopyBulkCreateNonAtomicCanAnswer207(t *testing.T) {
	ts := newTestServer(t)
	require.Equal(t, http.StatusOK, ts.do(http.MethodPost, canopyPath, keyXYZ,
		canopyAssignments(map[string]string{"identity_id": "id1", "node_id": "n1", "role_id": "read"})).Status)
	r := ts.do(http.MethodPost, canopyPath+"?atomic=false", keyXYZ, canopyAssignments(
		map[string]string{"identity_id": "id1", "node_id": "n1", "role_id": "read"},
		map[string]string{"identity_id": "id2", "node_id": "n1", "role_id": "write"},
		map[string]string{"identity_id": "id3", "node_id": "n1", "role_id": "viewer"},
	))
	require.Equal(t, http.StatusMultiStatus, r.Status, "body: %s", r.Raw)
	body := r.Object(t)
	assert.Equal(t, map[string]any{"total": 3.0, "succeeded": 1.0, "failed": 1.0, "skipped": 1.0}, body["summary"],
		"succeeded + skipped + failed = total: a skipped item is not also counted as succeeded")
	results := body["results"].([]any)
	assertShape(t, decodeSeed(t, seedCanopy200).(map[string]any)["results"].([]any)[0], results[0], "results[0]", "effective_from", "effective_to")
	assertShape(t, decodeSeed(t, seedCanopy207Error), results[2], "results[2]")
	assert.EqualValues(t, http.StatusOK, results[0].(map[string]any)["code"], "a skipped duplicate answers 200 with the existing assignment")
	assert.EqualValues(t, http.StatusCreated, results[1].(map[string]any)["code"])
	assert.Equal(t, "error", results[2].(map[string]any)["status"])

	users := ts.do(http.MethodGet, "/v1/organizations/org_xyz789/access/entities/node/n1/users", keyXYZ, nil)
	assert.Len(t, users.Object(t)["users"], 2, "the good items were committed")
}

func TestCanopyBulkCreateErrors(t *testing.T) {
	ts := newTestServer(t)
	// The page's example payload: its times are the word "string".
	seedRequest := `{ "assignments": [ { "identity_id": "string", "node_id": "string", "role_id": "string", "effective_from": "string", "effective_to": "string" } ] }`
	cases := []struct {
		name, query, key, body string
		status                 int
		code, field            string
	}{
		{"the seed's placeholder times", "", keyXYZ, seedRequest, 400, "BAD_REQUEST", "assignments[0].effective_from"},
		{"no assignments", "", keyXYZ, `{}`, 422, "VALIDATION_ERROR", "assignments"},
		{"bad atomic", "?atomic=maybe", keyXYZ, `{"assignments": []}`, 422, "VALIDATION_ERROR", "atomic"},
		{"unknown field", "", keyXYZ, `{"assignments": [{"identity_id": "a", "tenant": "x"}]}`, 400, "BAD_REQUEST", "assignments[0].tenant"},
		{"wrong type", "", keyXYZ, `{"assignments": {"identity_id": "a"}}`, 400, "BAD_REQUEST", "assignments"},
		{"no key", "", "", `{"assignments": []}`, 401, "UNAUTHORIZED", "X-API-Key"},
		{"bad key", "", "nope", `{"assignments": []}`, 401, "UNAUTHORIZED", "X-API-Key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(http.MethodPost, canopyPath+c.query, c.key, c.body), c.status, c.code, c.field)
		})
	}
	empty := ts.do(http.MethodPost, canopyPath, keyXYZ, `{"assignments": []}`)
	require.Equal(t, http.StatusOK, empty.Status)
	assert.Equal(t, []any{}, empty.Object(t)["results"])
}
