package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigBulkBody is an Aitronos bulk body of about size bytes whose grants
// are all valid.
func bigBulkBody(size int, tag string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"grants": [`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"entity_type": "knowledge_slice", "entity_id": "%s-%d", "grantee_type": "user", "grantee_id": "u", "access_level": "read"}`, tag, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// stalledBody starts a request on a raw loopback connection that declares
// a body of len(body) bytes and sends only its first half; finish sends the
// rest and returns the status.
func stalledBody(t *testing.T, addr, path string, body []byte) (finish func() int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		path, addr, keyXYZ, len(body))
	require.NoError(t, err)
	_, err = conn.Write(body[:len(body)/2])
	require.NoError(t, err)
	return func() int {
		_, err := conn.Write(body[len(body)/2:])
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
}

// waitFor polls cond every few milliseconds, at most a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 6000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not happen within a minute", what)
}

func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func TestRequestBodiesInFlightAreBounded(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.limits.maxBody = 256 << 10
	ts.srv.bodies.max = 512 << 10
	hs := httptest.NewServer(ts.srv)
	defer hs.Close()
	addr := strings.TrimPrefix(hs.URL, "http://")
	bulk := grantsPath + "/bulk"

	// Two big bodies, half sent, hold the whole budget...
	body := bigBulkBody(256<<10-4096, "a")
	first := stalledBody(t, addr, bulk, body)
	second := stalledBody(t, addr, bulk, bigBulkBody(256<<10-4096, "b"))
	waitFor(t, "two bodies in flight", func() bool { return ts.srv.bodies.inUse() > 256<<10 })

	// ... so a third is refused before a byte of it is read, in the
	// envelope, with Retry-After; a request without a body still works.
	req, err := http.NewRequest(http.MethodPost, hs.URL+bulk, bytes.NewReader(bigBulkBody(256<<10-4096, "c")))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyXYZ)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hs.Client().Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "body: %s", raw)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	var env map[string]any
	require.NoError(t, json.Unmarshal(raw, &env))
	assert.Equal(t, "SERVICE_UNAVAILABLE", env["error"].(map[string]any)["code"])
	get, err := hs.Client().Get(hs.URL + grantsPath + "?api_key_is_in_the_header=1")
	require.NoError(t, err)
	get.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, get.StatusCode, "a bodiless request is not held back")

	// The held ones finish, and give their room back.
	assert.Equal(t, http.StatusOK, first())
	assert.Equal(t, http.StatusOK, second())
	waitFor(t, "the budget given back", func() bool { return ts.srv.bodies.inUse() == 0 })
	resp, err = hs.Client().Do(mustRequest(t, hs.URL+bulk, bigBulkBody(256<<10-4096, "d")))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestConcurrentBigBodiesAreServedOrRefusedWith503(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.limits.maxBody = 256 << 10
	ts.srv.bodies.max = 768 << 10
	hs := httptest.NewServer(ts.srv)
	defer hs.Close()
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() {
			resp, err := hs.Client().Do(mustRequest(t, hs.URL+grantsPath+"/bulk", bigBulkBody(256<<10-4096, fmt.Sprint(i))))
			if !assert.NoError(t, err) {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
			if resp.StatusCode == http.StatusServiceUnavailable {
				assert.NotEmpty(t, resp.Header.Get("Retry-After"))
			}
		})
	}
	wg.Wait()
	for _, st := range statuses {
		assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, st)
	}
	waitFor(t, "every reservation given back", func() bool { return ts.srv.bodies.inUse() == 0 })
}

func mustRequest(t *testing.T, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyXYZ)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// startRun runs the service in process on a loopback port with args added,
// returning its address and a channel of run's result.
func startRun(t *testing.T, ctx context.Context, args ...string) (addr string, done <-chan error) {
	t.Helper()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-xyz": "org_xyz789", "key-avv": "tenant1/ns1"}`), 0o600))
	outR, outW := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		ch <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-keys", keys}, args...), outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	require.True(t, lines.Scan(), "the service prints its address")
	addr, ok := strings.CutPrefix(lines.Text(), "accessapi: listening on http://")
	require.True(t, ok, lines.Text())
	go func() {
		for lines.Scan() {
		}
	}()
	return addr, ch
}

// TestShutdownCompletesWithClientsThatNeverRead: a client pipelines
// requests for big pages and never reads the answers, so the handler blocks
// writing; the write timeout cuts it off and SIGTERM's shutdown completes
// cleanly, well within its grace.
func TestShutdownCompletesWithClientsThatNeverRead(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addr, done := startRun(t, ctx, "-write-timeout", "5s", "-request-timeout", "4s", "-shutdown-timeout", "30s")
	base := "http://" + addr
	// 1000 grants with long ids: a page of them is most of a megabyte.
	long := strings.Repeat("x", 240)
	var items []any
	for i := range 1000 {
		items = append(items, map[string]string{"entity_type": "knowledge_slice", "entity_id": fmt.Sprintf("%s%04d", long, i),
			"grantee_type": "user", "grantee_id": long, "granted_by": long, "access_level": "read"})
	}
	b, err := json.Marshal(map[string]any{"grants": items})
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(mustRequest(t, base+grantsPath+"/bulk", b))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	var reqs bytes.Buffer
	for range 40 { // about 30 MB of answers, far past the socket buffers
		fmt.Fprintf(&reqs, "GET %s?limit=1000 HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\n\r\n", grantsPath, addr, keyXYZ)
	}
	_, err = conn.Write(reqs.Bytes())
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // let the handler fill the buffers

	stop() // SIGTERM
	select {
	case err := <-done:
		require.NoError(t, err, "shutdown completes and the engine closes")
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown did not complete: a client that never reads pins its handler")
	}
}

func TestJobLimits(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.limits.maxJobSteps = 3
	ts.srv.limits.maxRetainedJobSteps = 5
	ts.srv.limits.maxRetainedJobs = 3
	acl := map[string]any{"RoleTrusteeAccessControlEntries": []any{}}
	job := func(scope int, ids ...string) map[string]any {
		return map[string]any{"AccessControlList": acl, "Operation": 1, "Scope": scope, "ResourceIds": ids}
	}
	field := func(r response) string {
		return r.Object(t)["DynamicProperties"].(map[string]any)["Field"].(string)
	}
	r := ts.do(http.MethodPost, jobsPath, keyTenant, job(1, "s1", "s2", "s3", "s4"))
	require.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "ResourceIds", field(r))
	assert.Contains(t, r.Object(t)["Reason"], "at most 3 steps")

	tenantGrants(t, ts, streamGrant("s1", model.User("u"), model.LevelRead), streamGrant("s2", model.User("u"), model.LevelRead), streamGrant("s3", model.User("u"), model.LevelRead), streamGrant("s4", model.User("u"), model.LevelRead))
	r = ts.do(http.MethodPost, jobsPath, keyTenant, job(0))
	require.Equal(t, http.StatusBadRequest, r.Status, "a namespace-wide job over 4 streams: body: %s", r.Raw)
	assert.Equal(t, "Scope", field(r))

	// Repeats are one step each; 3 steps kept, then 2 more, then no room.
	sum := runJob(t, ts, job(1, "s1", "s1", "s2", "s3", "s2"))
	assert.EqualValues(t, 3, sum["TotalSteps"])
	runJob(t, ts, job(1, "s1", "s2"))
	r = ts.do(http.MethodPost, jobsPath, keyTenant, job(1, "s1"))
	require.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
	assert.Contains(t, r.Object(t)["Reason"], "kept job steps")
	// A job with no steps takes no step room but is still kept.
	ts.srv.limits.maxRetainedJobSteps = 100
	runJob(t, ts, job(1, "s4"))
	r = ts.do(http.MethodPost, jobsPath, keyTenant, job(1, "s1"))
	require.Equal(t, http.StatusBadRequest, r.Status, "three jobs kept: body: %s", r.Raw)
	assert.Contains(t, r.Object(t)["Reason"], "keeps 3 jobs")
}

func TestJobsInFlightPerOrganisation(t *testing.T) {
	lim := defaultLimits()
	lim.maxJobsInFlight = 2
	running := []bulk.JobSummary{{Status: bulk.JobInProgress}, {Status: bulk.JobNotStarted}, {Status: bulk.JobSucceeded, TotalSteps: 10}}
	err := jobCountLimits(lim, 1, running)
	var ae *apiError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusTooManyRequests, ae.Status)
	assert.Positive(t, ae.RetryAfter)
	assert.NoError(t, jobCountLimits(lim, 1, running[1:]), "one running, one ended: room for another")

	// Over HTTP: 429 in AVEVA's shape, with Retry-After.
	ts := newTestServer(t)
	rec := httptest.NewRecorder()
	ts.srv.fail(rec, styleAveva, "t-1", err)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assertShape(t, decodeSeed(t, seedErrorResp), decodeSeed(t, rec.Body.String()), "")
}

func TestErrorsAreLoggedThroughSlog(t *testing.T) {
	ts := newTestServer(t)
	var buf bytes.Buffer
	ts.srv.log = slog.New(slog.NewJSONHandler(&buf, nil))
	ts.srv.route("GET /boom", styleEnvelope, func(http.ResponseWriter, *http.Request, *call) error { panic("boom") })
	ts.do(http.MethodGet, "/boom", keyXYZ, nil)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 2)[0], &rec), "log: %s", buf.String())
	assert.Equal(t, "ERROR", rec["level"])
	assert.Equal(t, "abc-123-def", rec["trace"])
	assert.Equal(t, "boom", rec["panic"])
}
