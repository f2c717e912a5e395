package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grantdb/grantdb/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seeds' examples are dated; the test clock sits at the Aitronos 201
// example's time so that created_at and updated_at come out as written there.
var (
	seedCreatedAt = time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)
	seedErrorAt   = time.Date(2025, 11, 2, 8, 21, 45, 0, time.UTC)
)

// Test API keys and their organisations.
const (
	keyXYZ    = "key-xyz"   // org_xyz789, the Aitronos example's organisation
	keyOther  = "key-other" // org_other
	keyTenant = "key-avv"   // tenant1/ns1, an AVEVA namespace
	orgXYZ    = "org_xyz789"
	orgOther  = "org_other"
	orgTenant = "tenant1/ns1"
)

var testKeys = map[string]string{keyXYZ: orgXYZ, keyOther: orgOther, keyTenant: orgTenant}

// testServer is a server over an in-memory engine whose clock stands at
// seedCreatedAt and whose error envelopes carry the seed's trace id and
// timestamp.
type testServer struct {
	t   testing.TB
	srv *server
	eng *engine.Engine
}

func newTestServer(t testing.TB, types ...string) *testServer {
	t.Helper()
	if len(types) == 0 {
		types = strings.Split(defaultEntityTypes, ",")
	}
	eng, err := engine.Open(engine.WithEntityTypes(types...), engine.WithClock(func() time.Time { return seedCreatedAt }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	s := newServer(eng, testKeys, defaultLimits())
	s.now = func() time.Time { return seedErrorAt }
	s.newTraceID = func() string { return "abc-123-def" }
	return &testServer{t: t, srv: s, eng: eng}
}

// response is a recorded answer with its body decoded.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
}

// JSON decodes the body into a generic value.
func (r response) JSON(t *testing.T) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(r.Raw, &v), "body: %s", r.Raw)
	return v
}

// Object decodes the body as a JSON object.
func (r response) Object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	require.True(t, ok, "body is not an object: %s", r.Raw)
	return m
}

// do sends a request with key in X-API-Key (none when key is empty); body is
// a string sent as is, or any other value encoded as JSON.
func (ts *testServer) do(method, path, key string, body any) response {
	ts.t.Helper()
	req := newRequest(ts.t, method, path, body)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	return ts.send(req)
}

func (ts *testServer) send(req *http.Request) response {
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
}

func newRequest(t testing.TB, method, path string, body any) *http.Request {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// decodeSeed decodes a JSON example copied from a seed page.
func decodeSeed(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

// assertShape checks that got has every field of the seed's example, at the
// same place and of the same JSON kind; the example's values are
// placeholders ("string", 0) and are not compared. An array's every element
// is checked against the example's first.
func assertShape(t *testing.T, seed, got any, path string, nullable ...string) {
	t.Helper()
	if got == nil && slices.Contains(nullable, path[strings.LastIndex(path, ".")+1:]) {
		return
	}
	switch s := seed.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !assert.True(t, ok, "%s: want an object, got %T", path, got) {
			return
		}
		for k, sv := range s {
			gv, ok := g[k]
			if assert.True(t, ok, "%s.%s is missing", path, k) {
				assertShape(t, sv, gv, path+"."+k, nullable...)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !assert.True(t, ok, "%s: want an array, got %T", path, got) || len(s) == 0 {
			return
		}
		for i, gv := range g {
			assertShape(t, s[0], gv, path+"["+strconv.Itoa(i)+"]", nullable...)
		}
	case string:
		assert.IsType(t, "", got, "%s: want a string", path)
	case float64:
		assert.IsType(t, float64(0), got, "%s: want a number", path)
	case bool:
		assert.IsType(t, true, got, "%s: want a boolean", path)
	}
}

// assertEnvelope checks an Aitronos error envelope: its fixed fields, and the
// status, code and field given.
func assertEnvelope(t *testing.T, r response, status int, code, field string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	body := r.Object(t)
	assertShape(t, decodeSeed(t, seed422Envelope), body, "", "field")
	assert.Equal(t, false, body["success"])
	e := body["error"].(map[string]any)
	assert.Equal(t, code, e["code"])
	assert.EqualValues(t, status, e["status"])
	assert.Equal(t, "abc-123-def", e["trace_id"])
	assert.Equal(t, "2025-11-02T08:21:45Z", e["timestamp"])
	if status >= 500 {
		assert.Equal(t, "server_error", e["type"])
	} else {
		assert.Equal(t, "client_error", e["type"])
	}
	details := e["details"].(map[string]any)
	if field != "" {
		assert.Equal(t, field, details["field"], "details: %v", details)
	} else {
		assert.Nil(t, details["field"], "details: %v", details)
	}
	assert.NotEmpty(t, details["message"])
	return e
}

// seed422Envelope is the 422 example of the Aitronos page, verbatim.
const seed422Envelope = `{
  "success": false,
  "error": {
    "code": "VALIDATION_ERROR",
    "message": "The request contains invalid data.",
    "system_message": "Validation error",
    "type": "client_error",
    "status": 422,
    "details": {
      "field": "entity_type",
      "message": "entity_type must be one of {'knowledge_slice', 'vector_store', 'assistant'}"
    },
    "trace_id": "abc-123-def",
    "timestamp": "2025-11-02T08:21:45Z"
  }
}`
