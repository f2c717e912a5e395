package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a new user ran into (issue 11, "Friction in the service").

func TestNullBodyIsMalformedLikeAnArray(t *testing.T) {
	ts := newTestServer(t)
	for _, rt := range fuzzRoutes {
		for _, body := range []string{`null`, ` null `, `[]`} {
			t.Run(rt.method+" "+rt.path+" "+body, func(t *testing.T) {
				r := ts.do(rt.method, rt.path, rt.key, body)
				assert.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
			})
		}
	}
	assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyXYZ, `null`), 400, "BAD_REQUEST", "")
}

func TestDecodeErrorsNameTheListItem(t *testing.T) {
	ts := newTestServer(t)
	good := `{"entity_type": "knowledge_slice", "entity_id": "ks", "grantee_type": "user", "grantee_id": "u", "access_level": "read"}`
	items := func(bad string) string {
		return `{"grants": [` + good + `, ` + good + `, ` + good + `, ` + bad + `]}`
	}
	cases := []struct{ name, path, key, body, field string }{
		{"a wrong type in the fourth grant", grantsPath + "/bulk", keyXYZ, items(`{"entity_id": 7}`), "grants[3].entity_id"},
		{"an unknown field in the fourth grant", grantsPath + "/bulk", keyXYZ, items(`{"entity": "x"}`), "grants[3].entity"},
		{"an object where a string goes", grantsPath + "/bulk", keyXYZ, items(`{"grantee_id": {"id": "u"}}`), "grants[3].grantee_id"},
		{"the list itself of the wrong type", grantsPath + "/bulk", keyXYZ, `{"grants": "all"}`, "grants"},
		{"a top-level field", grantsPath, keyXYZ, `{"entity_id": 1}`, "entity_id"},
		{"Elacity item", elacityPath, keyXYZ, `{"orgSlug": "org_xyz789", "grants": [{"userId": "a"}, {"userId": true}]}`, "grants[1].userId"},
		{"Canopy item", canopyPath, keyXYZ, `{"assignments": [{}, {}, {"node_id": 1}]}`, "assignments[2].node_id"},
		{"Canopy unknown field", canopyPath, keyXYZ, `{"assignments": [{}, {"identity_id": "a", "role": "x"}]}`, "assignments[1].role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(http.MethodPost, c.path, c.key, c.body), 400, "BAD_REQUEST", c.field)
		})
	}
	// AVEVA's entries, nested two lists deep.
	r := ts.do(http.MethodPost, jobsPath, keyTenant, `{"AccessControlList": {"RoleTrusteeAccessControlEntries": [{}, {"Trustee": {"Type": "user"}}]}}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "AccessControlList.RoleTrusteeAccessControlEntries[1].Trustee.Type", r.Object(t)["DynamicProperties"].(map[string]any)["Field"])
}

func TestABodyMustBeSentAsJSON(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		contentType string
		status      int
	}{
		{"application/json", http.StatusCreated},
		{"application/json; charset=utf-8", http.StatusConflict}, // accepted: the same grant again
		{"Application/JSON", http.StatusConflict},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType}, // curl -d without -H
		{"application/jsonp", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
		{"not a media type;;", http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		t.Run(c.contentType, func(t *testing.T) {
			req := newRequest(t, http.MethodPost, grantsPath, seedCreateRequest)
			req.Header.Set("X-API-Key", keyXYZ)
			if c.contentType == "" {
				req.Header.Del("Content-Type")
			} else {
				req.Header.Set("Content-Type", c.contentType)
			}
			r := ts.send(req)
			if c.status == http.StatusUnsupportedMediaType {
				assertEnvelope(t, r, c.status, "UNSUPPORTED_MEDIA_TYPE", "Content-Type")
				return
			}
			assert.Equal(t, c.status, r.Status, "body: %s", r.Raw)
		})
	}
	// AVEVA answers in its own shape.
	req := newRequest(t, http.MethodPost, jobsPath, seedJobInput)
	req.Header.Set("X-API-Key", keyTenant)
	req.Header.Set("Content-Type", "text/xml")
	r := ts.send(req)
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "Content-Type", r.Object(t)["DynamicProperties"].(map[string]any)["Field"])
	// A GET has no body to check.
	get := newRequest(t, http.MethodGet, grantsPath, nil)
	get.Header.Set("X-API-Key", keyXYZ)
	get.Header.Set("Content-Type", "text/plain")
	assert.Equal(t, http.StatusOK, ts.send(get).Status)
}

func TestAvevaJobRoutesRefuseAControlCharacterWith400(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{
		jobsPath + "/" + url.PathEscape("job\x01x"),
		jobsPath + "/" + url.PathEscape("job\x7f") + "/jobsteps",
	} {
		t.Run(path, func(t *testing.T) {
			r := ts.do(http.MethodGet, path, keyTenant, nil)
			require.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
			body := r.Object(t)
			assertShape(t, decodeSeed(t, seedErrorResp), body, "")
			assert.Equal(t, "jobId", body["DynamicProperties"].(map[string]any)["Field"])
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, &stdout, &stderr), "-h is a request for the usage, not an error")
	assert.Contains(t, stderr.String(), "-keys")
	assert.Error(t, run(context.Background(), []string{"-no-such-flag"}, &stdout, &stderr), "an unknown flag still fails")
}

func TestGitignoreCoversKeysFiles(t *testing.T) {
	b, err := os.ReadFile("../../.gitignore")
	require.NoError(t, err)
	assert.Contains(t, strings.Split(string(b), "\n"), "keys.json", "API keys never end up in a commit")
}
