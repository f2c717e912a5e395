package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const elacityPath = "/api/access-grants/bulk"

// seedElacityRequest is the Elacity page's example payload, verbatim: its
// organisation is literally "string".
const seedElacityRequest = `{"orgSlug":"string","grants":[{"userId":"string","resourceType":"fleet","resourceId":"string"}]}`

func TestElacityBulkAcceptsTheSeedsExample(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.keys["key-string"] = "string"
	r := ts.do(http.MethodPost, elacityPath, "key-string", seedElacityRequest)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	body := r.Object(t)
	assert.Equal(t, "string", body["orgSlug"])
	assert.Equal(t, map[string]any{"total": 1.0, "created": 1.0, "skipped": 0.0, "failed": 0.0}, body["summary"])
	item := body["results"].([]any)[0].(map[string]any)
	assert.Equal(t, "created", item["status"])
	g := item["grant"].(map[string]any)
	assert.Equal(t, "fleet", g["resourceType"])
	assert.Equal(t, "string", g["resourceId"])
	assert.Equal(t, "string", g["userId"])
	assert.Equal(t, "read", g["accessLevel"], "the seed carries no level: read")

	// The same request again: a duplicate, skipped, still 200.
	again := ts.do(http.MethodPost, elacityPath, "key-string", seedElacityRequest)
	require.Equal(t, http.StatusOK, again.Status)
	item = again.Object(t)["results"].([]any)[0].(map[string]any)
	assert.Equal(t, "skipped", item["status"])
	assert.Equal(t, g["id"], item["grant"].(map[string]any)["id"], "the skipped item carries the existing grant")
}

func TestElacityBulkItems(t *testing.T) {
	ts := newTestServer(t)
	body := map[string]any{"orgSlug": orgXYZ, "grants": []any{
		map[string]string{"userId": "u1", "resourceType": "registry", "resourceId": "r1", "accessLevel": "admin"},
		map[string]string{"userId": "u1", "resourceType": "registry", "resourceId": "r1"},
		map[string]string{"userId": "u2", "resourceType": "warehouse", "resourceId": "w1"},
		map[string]string{"userId": "u3", "resourceType": "environment", "resourceId": "e1", "accessLevel": "owner"},
		map[string]string{"userId": "", "resourceType": "environment", "resourceId": "e1"},
	}}
	r := ts.do(http.MethodPost, elacityPath, keyXYZ, body)
	require.Equal(t, http.StatusMultiStatus, r.Status, "body: %s", r.Raw)
	results := r.Object(t)["results"].([]any)
	want := []struct{ status, field string }{
		{"created", ""}, {"skipped", ""}, {"failed", "resourceType"}, {"failed", "accessLevel"}, {"failed", "userId"},
	}
	require.Len(t, results, len(want))
	for i, w := range want {
		it := results[i].(map[string]any)
		assert.Equal(t, w.status, it["status"], "item %d", i)
		if w.field != "" {
			e := it["error"].(map[string]any)
			assert.Equal(t, w.field, e["details"].(map[string]any)["field"], "item %d", i)
			assert.Regexp(t, "^"+w.field+" ", e["message"], "the message names the field as the item does")
		}
	}
	assert.Equal(t, "admin", results[0].(map[string]any)["grant"].(map[string]any)["accessLevel"])

	onlyBad := map[string]any{"orgSlug": orgXYZ, "grants": []any{map[string]string{"userId": "u", "resourceType": "nope", "resourceId": "x"}}}
	assert.Equal(t, http.StatusUnprocessableEntity, ts.do(http.MethodPost, elacityPath, keyXYZ, onlyBad).Status)
}

func TestElacityBulkErrors(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		key    string
		body   string
		status int
		code   string
		field  string
	}{
		{"another organisation", keyXYZ, `{"orgSlug":"org_other","grants":[]}`, 403, "FORBIDDEN", "orgSlug"},
		{"no orgSlug", keyXYZ, `{"grants":[]}`, 422, "VALIDATION_ERROR", "orgSlug"},
		{"no grants", keyXYZ, `{"orgSlug":"org_xyz789"}`, 422, "VALIDATION_ERROR", "grants"},
		{"unknown item field", keyXYZ, `{"orgSlug":"org_xyz789","grants":[{"userId":"u","role":"x"}]}`, 400, "BAD_REQUEST", "grants[0].role"},
		{"wrong type", keyXYZ, `{"orgSlug":"org_xyz789","grants":[{"userId":7}]}`, 400, "BAD_REQUEST", "grants[0].userId"},
		{"no key", "", seedElacityRequest, 401, "UNAUTHORIZED", "X-API-Key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(http.MethodPost, elacityPath, c.key, c.body), c.status, c.code, c.field)
		})
	}
}
