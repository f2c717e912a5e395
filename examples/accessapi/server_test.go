package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name    string
		headers map[string]string
		path    string
		status  int
		code    string
	}{
		{"no key", nil, grantsPath, 401, "UNAUTHORIZED"},
		{"unknown key", map[string]string{"X-API-Key": "nope"}, grantsPath, 401, "UNAUTHORIZED"},
		{"unknown bearer", map[string]string{"Authorization": "Bearer nope"}, grantsPath, 401, "UNAUTHORIZED"},
		{"basic auth is not a key", map[string]string{"Authorization": "Basic " + keyXYZ}, grantsPath, 401, "UNAUTHORIZED"},
		{"X-API-Key", map[string]string{"X-API-Key": keyXYZ}, grantsPath, 200, ""},
		{"Bearer", map[string]string{"Authorization": "Bearer " + keyXYZ}, grantsPath, 200, ""},
		{"bearer in lower case", map[string]string{"Authorization": "bearer " + keyXYZ}, grantsPath, 200, ""},
		{"X-API-Key wins over Bearer", map[string]string{"X-API-Key": keyOther, "Authorization": "Bearer " + keyXYZ}, grantsPath, 403, "FORBIDDEN"},
		{"X-API-Key wins over a bad Bearer", map[string]string{"X-API-Key": keyXYZ, "Authorization": "Bearer nope"}, grantsPath, 200, ""},
		{"another organisation's key", map[string]string{"X-API-Key": keyOther}, grantsPath, 403, "FORBIDDEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := newRequest(t, http.MethodGet, c.path, nil)
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			r := ts.send(req)
			if c.code == "" {
				assert.Equal(t, c.status, r.Status, "body: %s", r.Raw)
				return
			}
			field := "X-API-Key"
			if c.status == http.StatusForbidden {
				field = "organization_id"
			}
			assertEnvelope(t, r, c.status, c.code, field)
			if c.status == http.StatusUnauthorized {
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			}
		})
	}
	// A refused key writes nothing.
	assertEnvelope(t, ts.do(http.MethodPost, grantsPath, keyOther, seedCreateRequest), 403, "FORBIDDEN", "organization_id")
	assert.Empty(t, ts.do(http.MethodGet, grantsPath, keyXYZ, nil).Object(t)["grants"])
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	ts := newTestServer(t)
	assertEnvelope(t, ts.do(http.MethodGet, "/v2/nothing", keyXYZ, nil), 404, "NOT_FOUND", "")
	r := ts.do(http.MethodPut, grantsPath, keyXYZ, nil)
	assertEnvelope(t, r, 405, "METHOD_NOT_ALLOWED", "")
	assert.Contains(t, r.Header.Get("Allow"), "POST")
}

func TestTraceID(t *testing.T) {
	ts := newTestServer(t)
	req := newRequest(t, http.MethodGet, "/nowhere", nil)
	req.Header.Set("X-Request-Id", "req-42.a_b")
	r := ts.send(req)
	assert.Equal(t, "req-42.a_b", r.Header.Get("X-Request-Id"))
	assert.Equal(t, "req-42.a_b", r.Object(t)["error"].(map[string]any)["trace_id"], "a caller's request id is the trace id")

	req.Header.Set("X-Request-Id", "no spaces <please>")
	r = ts.send(req)
	assert.Equal(t, "abc-123-def", r.Header.Get("X-Request-Id"), "an unsafe one is replaced")

	assert.Regexp(t, `^[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{8}$`, randomTraceID())
}

func TestAPanicIsA500NotATornConnection(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.route("GET /boom", styleEnvelope, func(http.ResponseWriter, *http.Request, *call) error { panic("boom") })
	assertEnvelope(t, ts.do(http.MethodGet, "/boom", keyXYZ, nil), 500, "INTERNAL_ERROR", "")
}

func TestAClosedEngineIs503(t *testing.T) {
	ts := newTestServer(t)
	require.NoError(t, ts.eng.Close())
	assertEnvelope(t, ts.do(http.MethodGet, grantsPath, keyXYZ, nil), 503, "CLOSED", "")
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	keys, err := loadKeys(write("ok.json", `{"key-1": "org_xyz789", "key-2": "tenant1/ns1"}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"key-1": "org_xyz789", "key-2": "tenant1/ns1"}, keys)
	for name, body := range map[string]string{
		"empty.json":  `{}`,
		"list.json":   `["key-1"]`,
		"blank.json":  `{"key-1": ""}`,
		"spaced.json": `{" key-1": "org"}`,
	} {
		_, err := loadKeys(write(name, body))
		assert.Error(t, err, name)
	}
	_, err = loadKeys(filepath.Join(dir, "missing.json"))
	assert.Error(t, err)
}

func TestEngineOptions(t *testing.T) {
	opts, err := engineOptions("", " fleet, node ,")
	require.NoError(t, err)
	assert.Len(t, opts, 1)
	opts, err = engineOptions(t.TempDir(), defaultEntityTypes)
	require.NoError(t, err)
	assert.Len(t, opts, 2, "-data adds engine.WithPath")
}

// TestShutdownLetsInFlightRequestsFinish runs the service in process, starts
// a request whose handler is reading a body not yet sent, asks the service to
// stop, then sends the body: the request completes and run returns cleanly.
// "Expect: 100-continue" tells when the handler runs: the server answers 100
// Continue when the handler first reads the body.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-xyz": "org_xyz789"}`), 0o600))

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-keys", keys}, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	require.True(t, lines.Scan(), "the service prints its address")
	addr, ok := strings.CutPrefix(lines.Text(), "accessapi: listening on http://")
	require.True(t, ok, lines.Text())
	go func() { // keep draining so the service never blocks on its output
		for lines.Scan() {
		}
	}()

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", grantsPath, addr, keyXYZ, len(seedCreateRequest))
	require.NoError(t, err)
	rd := bufio.NewReader(conn)
	cont, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusContinue, cont.StatusCode, "the handler is reading the body")

	stop() // SIGINT or SIGTERM in the real process
	select {
	case err := <-done:
		t.Fatalf("run returned while a request was in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	_, err = io.WriteString(conn, seedCreateRequest)
	require.NoError(t, err)
	resp, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "the in-flight request finished")
	require.NoError(t, <-done, "run stops cleanly and closes the engine")
}
