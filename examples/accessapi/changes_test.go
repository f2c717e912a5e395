package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

const changesURL = "/v1/organizations/org_xyz789/access/changes"

// feedServer is the service on a loopback port, behind the http.Server the
// command runs (its timeouts as given), over an in-memory engine.
type feedServer struct {
	url  string
	http *http.Server
	eng  *engine.Engine
}

// newFeedServer starts the service with lim and tm over an engine opened
// with opts; error envelopes carry the seed's trace id and timestamp.
func newFeedServer(t *testing.T, lim limits, tm timeouts, opts ...engine.Option) *feedServer {
	t.Helper()
	opts = append([]engine.Option{engine.WithEntityTypes(strings.Split(defaultEntityTypes, ",")...)}, opts...)
	eng, err := engine.Open(opts...)
	require.NoError(t, err)
	s := newServer(eng, testKeys, lim)
	s.now = func() time.Time { return seedErrorAt }
	s.newTraceID = func() string { return "abc-123-def" }
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = newHTTPServer(s, tm, slog.New(slog.DiscardHandler))
	ts.Config.RegisterOnShutdown(s.streams.stop)
	ts.Start()
	t.Cleanup(func() {
		s.streams.stop() // else Close waits for the open streams
		ts.Close()
		_ = eng.Close()
	})
	return &feedServer{url: ts.URL, http: ts.Config, eng: eng}
}

func (fs *feedServer) call(t *testing.T, method, path, key string, body any, header ...string) response {
	t.Helper()
	req := newRequest(t, method, fs.url+path, body)
	req.RequestURI = ""
	req.Header.Set("X-API-Key", key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

// grant creates a read grant of user on knowledge slice entity in org_xyz789
// (or org_other with keyOther).
func (fs *feedServer) grant(t *testing.T, key, entity, user string) response {
	t.Helper()
	org := testKeys[key]
	r := fs.call(t, http.MethodPost, "/v1/organizations/"+org+"/access/grants", key, map[string]string{
		"entity_type": "knowledge_slice", "entity_id": entity, "grantee_type": "user", "grantee_id": user, "access_level": "read",
	})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return r
}

func testLimits() limits {
	lim := defaultLimits()
	lim.streamHeartbeat = 20 * time.Millisecond
	return lim
}

func TestChangesPage(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	fs.grant(t, keyXYZ, "ks1", "u1")
	fs.grant(t, keyOther, "ks9", "u9") // another organisation's commit
	fs.grant(t, keyXYZ, "ks2", "u2")
	require.Equal(t, http.StatusNoContent, fs.call(t, http.MethodPut,
		"/v1/organizations/org_xyz789/access/groups/department/eng/members/user/u1", keyXYZ, nil).Status)

	r := fs.call(t, http.MethodGet, changesURL, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	var page struct {
		Changes   []model.Change `json:"changes"`
		NextAfter uint64         `json:"next_after"`
		HasMore   bool           `json:"has_more"`
		Revision  uint64         `json:"revision"`
	}
	require.NoError(t, json.Unmarshal(r.Raw, &page))
	require.Len(t, page.Changes, 3, "the other organisation's commit is not there")
	assert.Equal(t, []uint64{1, 3, 4}, []uint64{page.Changes[0].Revision, page.Changes[1].Revision, page.Changes[2].Revision})
	require.Len(t, page.Changes[0].Grants, 1)
	assert.Equal(t, model.ChangeWrite, page.Changes[0].Grants[0].Op)
	assert.Equal(t, "ks1", page.Changes[0].Grants[0].Grant.Entity.ID)
	require.Len(t, page.Changes[2].Memberships, 1)
	assert.False(t, page.HasMore)
	assert.EqualValues(t, 4, page.NextAfter)
	assert.EqualValues(t, 4, page.Revision)

	// Paged: a full page says so and continues after its last change.
	require.NoError(t, json.Unmarshal(fs.call(t, http.MethodGet, changesURL+"?limit=1", keyXYZ, nil).Raw, &page))
	require.Len(t, page.Changes, 1)
	assert.True(t, page.HasMore)
	assert.EqualValues(t, 1, page.NextAfter)
	require.NoError(t, json.Unmarshal(fs.call(t, http.MethodGet, changesURL+"?after=1&limit=1", keyXYZ, nil).Raw, &page))
	require.Len(t, page.Changes, 1)
	assert.EqualValues(t, 3, page.Changes[0].Revision, "revision 2 is org_other's")

	// Past the end: empty, and next_after stays.
	require.NoError(t, json.Unmarshal(fs.call(t, http.MethodGet, changesURL+"?after=4", keyXYZ, nil).Raw, &page))
	assert.Empty(t, page.Changes)
	assert.EqualValues(t, 4, page.NextAfter)

	// org_other sees only its own commit.
	require.NoError(t, json.Unmarshal(fs.call(t, http.MethodGet, "/v1/organizations/org_other/access/changes", keyOther, nil).Raw, &page))
	require.Len(t, page.Changes, 1)
	assert.EqualValues(t, 2, page.Changes[0].Revision)
}

func TestChangesRefusals(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	for _, tc := range []struct {
		name, path, key string
		header          []string
		status          int
		code, field     string
	}{
		{"bad after", changesURL + "?after=-1", keyXYZ, nil, http.StatusUnprocessableEntity, model.CodeValidation, "after"},
		{"bad Last-Event-ID", changesURL, keyXYZ, []string{"Accept", eventStream, "Last-Event-ID", "x"}, http.StatusUnprocessableEntity, model.CodeValidation, "Last-Event-ID"},
		{"limit too large", changesURL + "?limit=1001", keyXYZ, nil, http.StatusUnprocessableEntity, model.CodeValidation, "limit"},
		{"another organisation", changesURL, keyOther, nil, http.StatusForbidden, codeForbidden, model.FieldOrg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertEnvelope(t, fs.call(t, http.MethodGet, tc.path, tc.key, nil, tc.header...), tc.status, tc.code, tc.field)
		})
	}
}

// Past the retained window, a page and a stream are 410 COMPACTED.
func TestChangesCompacted(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts(), engine.WithChangeRetention(2))
	for i := range 5 {
		fs.grant(t, keyXYZ, fmt.Sprintf("ks%d", i), "u1")
	}
	for _, header := range [][]string{nil, {"Accept", eventStream}} {
		r := fs.call(t, http.MethodGet, changesURL+"?after=1", keyXYZ, nil, header...)
		assertEnvelope(t, r, http.StatusGone, model.CodeCompacted, "after")
	}
	r := fs.call(t, http.MethodGet, changesURL+"?after=3", keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "within the window: body %s", r.Raw)
	assert.Len(t, r.Object(t)["changes"], 2)
}

// sseEvent is one Server-Sent Event, or a comment (event "").
type sseEvent struct {
	id, event, data, comment string
}

// openStream opens the feed as an event stream and returns its events as
// they arrive; the stream is closed at the end of the test.
func (fs *feedServer) openStream(t *testing.T, query, lastEventID string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.url+changesURL+query, nil)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyXYZ)
	req.Header.Set("Accept", eventStream)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return nil, resp
	}
	events := make(chan sseEvent, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				events <- ev
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "id":
					ev.id = v
				case "event":
					ev.event = v
				case "data":
					ev.data = v
				}
			}
		}
	}()
	return events, resp
}

// nextChange returns the stream's next change event, skipping comments.
func nextChange(t *testing.T, events <-chan sseEvent) (sseEvent, model.Change) {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended")
			if ev.event == "" {
				continue
			}
			require.Equal(t, "change", ev.event, "event %+v", ev)
			var ch model.Change
			require.NoError(t, json.Unmarshal([]byte(ev.data), &ch))
			assert.Equal(t, strconv.FormatUint(ch.Revision, 10), ev.id)
			return ev, ch
		case <-time.After(10 * time.Second):
			t.Fatal("no change event")
		}
	}
}

// A stream yields the retained changes, then each new one; it outlives the
// request deadline and the server's read and write timeouts, sends
// heartbeats, and a client reconnecting with Last-Event-ID resumes after it.
func TestChangesStreamResumes(t *testing.T) {
	lim := testLimits()
	lim.requestTimeout = 50 * time.Millisecond
	tm := defaultTimeouts()
	tm.read, tm.write = 100*time.Millisecond, 100*time.Millisecond
	fs := newFeedServer(t, lim, tm)
	fs.grant(t, keyXYZ, "ks1", "u1")
	fs.grant(t, keyXYZ, "ks2", "u1")

	events, resp := fs.openStream(t, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, eventStream, resp.Header.Get("Content-Type"))
	ev1, ch1 := nextChange(t, events)
	assert.Equal(t, "1", ev1.id)
	assert.Equal(t, "ks1", ch1.Grants[0].Grant.Entity.ID)
	_, ch2 := nextChange(t, events)
	assert.EqualValues(t, 2, ch2.Revision)

	// Past the deadline and the timeouts, the stream still delivers, and
	// heartbeats came in the meantime.
	time.Sleep(3 * tm.read)
	fs.grant(t, keyXYZ, "ks3", "u1")
	heartbeats := 0
	for ev := range events {
		if ev.comment == "heartbeat" {
			heartbeats++
			continue
		}
		if ev.event == "change" {
			assert.Equal(t, "3", ev.id)
			break
		}
	}
	assert.Positive(t, heartbeats)

	// Reconnect after revision 2: revision 3 comes again, then new ones.
	resumed, resp := fs.openStream(t, "?after=0", "2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, ch := nextChange(t, resumed)
	assert.EqualValues(t, 3, ch.Revision, "Last-Event-ID wins over after")
	fs.grant(t, keyOther, "ks9", "u9") // not org_xyz789's: skipped
	fs.grant(t, keyXYZ, "ks4", "u1")
	_, ch = nextChange(t, resumed)
	assert.EqualValues(t, 5, ch.Revision)
	assert.Equal(t, "ks4", ch.Grants[0].Grant.Entity.ID)
}

// Shutdown ends the open streams cleanly (the body ends without error), so
// that it need not wait for them.
func TestChangesStreamEndsOnShutdown(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	events, resp := fs.openStream(t, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, fs.http.Shutdown(ctx))
	for range events { // drains until the stream ends
	}
}

// Beyond -max-streams, a stream is 503 with Retry-After; a page is not
// counted.
func TestChangesStreamsAreBounded(t *testing.T) {
	lim := testLimits()
	lim.maxStreams = 1
	fs := newFeedServer(t, lim, defaultTimeouts())
	_, resp := fs.openStream(t, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := fs.call(t, http.MethodGet, changesURL, keyXYZ, nil, "Accept", eventStream)
	assertEnvelope(t, r, http.StatusServiceUnavailable, codeUnavailable, "")
	assert.Equal(t, "1", r.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, fs.call(t, http.MethodGet, changesURL, keyXYZ, nil).Status)
}

// A successful write answers with Grantdb-Revision, at least the write's
// revision; a refused write and a read do not.
func TestWritesAnswerWithTheirRevision(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	r := fs.grant(t, keyXYZ, "ks1", "u1")
	assert.Equal(t, "1", r.Header.Get(revisionHeader))
	r = fs.call(t, http.MethodPut, "/v1/organizations/org_xyz789/access/groups/department/eng/members/user/u1", keyXYZ, nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	assert.Equal(t, "2", r.Header.Get(revisionHeader))
	r = fs.call(t, http.MethodPost, "/api/access-grants/bulk", keyXYZ, map[string]any{"orgSlug": orgXYZ,
		"grants": []any{map[string]string{"userId": "u2", "resourceType": "fleet", "resourceId": "f1"}}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "3", r.Header.Get(revisionHeader))

	r = fs.call(t, http.MethodPost, "/v1/organizations/org_xyz789/access/grants", keyXYZ, map[string]string{"entity_type": "nope"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Empty(t, r.Header.Get(revisionHeader))
	r = fs.call(t, http.MethodGet, "/v1/organizations/org_xyz789/access/grants", keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Empty(t, r.Header.Get(revisionHeader))
}

// A read with ?at_least_revision answers at once when the revision is
// published, waits for it when it is not, and is 503 with Retry-After when it
// does not come in time.
func TestReadsWaitForARevision(t *testing.T) {
	lim := testLimits()
	lim.revisionWait = 20 * time.Millisecond
	fs := newFeedServer(t, lim, defaultTimeouts())
	rev := fs.grant(t, keyXYZ, "ks1", "u1").Header.Get(revisionHeader)
	grants := "/v1/organizations/org_xyz789/access/grants"

	r := fs.call(t, http.MethodGet, grants+"?at_least_revision="+rev, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Len(t, r.Object(t)["grants"], 1)

	r = fs.call(t, http.MethodGet, grants+"?at_least_revision=2", keyXYZ, nil)
	assertEnvelope(t, r, http.StatusServiceUnavailable, codeUnavailable, "")
	assert.Equal(t, "1", r.Header.Get("Retry-After"))

	assertEnvelope(t, fs.call(t, http.MethodGet, grants+"?at_least_revision=x", keyXYZ, nil),
		http.StatusUnprocessableEntity, model.CodeValidation, atLeastRevisionParam)
	r = fs.call(t, http.MethodGet, "/api/v1-preview/tenants/tenant1/namespaces/ns1/bulk/accesscontrol/jobs?at_least_revision=-3", keyTenant, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "AVEVA's routes refuse with 400: %s", r.Raw)
	assert.Equal(t, atLeastRevisionParam, r.Object(t)["DynamicProperties"].(map[string]any)["Field"])
}

// A read waiting for a revision answers once a write publishes it.
func TestReadWaitsUntilTheRevisionComes(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	req, err := http.NewRequest(http.MethodGet, fs.url+"/v1/organizations/org_xyz789/access/grants?at_least_revision=1", nil)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyXYZ)
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, body, err}
	}()
	fs.grant(t, keyXYZ, "ks1", "u1")
	a := <-answered
	require.NoError(t, a.err)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	r := response{Status: a.status, Raw: a.body}
	assert.Len(t, r.Object(t)["grants"], 1, "the read sees the write it waited for")
}

// A stream that ends for the engine's sake (here, the engine closing) says
// why in one "event: error", whose data is the envelope's error object, and
// ends.
func TestChangesStreamEndsWithAnErrorEvent(t *testing.T) {
	fs := newFeedServer(t, testLimits(), defaultTimeouts())
	events, resp := fs.openStream(t, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, fs.eng.Close())
	var last sseEvent
	for ev := range events {
		if ev.event != "" {
			last = ev
		}
	}
	require.Equal(t, "error", last.event)
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(last.data), &body))
	assert.Equal(t, model.CodeClosed, body["code"])
	assert.EqualValues(t, http.StatusServiceUnavailable, body["status"])
}
