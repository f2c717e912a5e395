package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grantdb/grantdb/engine"
)

// errStyle says in which shape a route's errors are written.
type errStyle int

const (
	// styleEnvelope is the Aitronos envelope, used by every API but AVEVA
	// (Elacity and Canopy document no error body of their own).
	styleEnvelope errStyle = iota
	// styleAveva is AVEVA's ErrorResponse.
	styleAveva
)

// call is what a handler knows about the caller.
type call struct {
	// org is the organisation of the caller's API key.
	org string
	// principal names the API key in granted_by and as a job's requester
	// without revealing it: "apikey_" and the first 12 hex digits of its
	// SHA-256.
	principal string
	traceID   string
}

// allow refuses with 403 a call about an organisation other than the key's.
// field names where the organisation came from (a path parameter or a body
// field).
func (c *call) allow(org, field string) error {
	if org != c.org {
		return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Field: field,
			Detail: fmt.Sprintf("this API key has no access to organization %q", org)}
	}
	return nil
}

// handlerFunc serves one authenticated route. An error it returns is written
// in the route's style; it must not have written anything itself then.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// server serves the four seed APIs over one engine.
type server struct {
	eng *engine.Engine
	// keys maps each API key to its organisation.
	keys map[string]string
	mux  *http.ServeMux
	// now stamps error envelopes; tests set it.
	now func() time.Time
	// newTraceID makes the trace id of a request that brings none; tests
	// set it.
	newTraceID func() string
	limits     limits
	// bodies counts the bytes of request bodies in flight.
	bodies *byteBudget
	// listings holds a token per resolved-access listing being built.
	listings chan struct{}
	// jobSubmit serialises AVEVA job submissions, so that the jobs-in-flight
	// and retention limits are checked against what the engine holds.
	jobSubmit sync.Mutex
	// cursorKey signs listing cursors; it is made at start, so cursors do
	// not outlive the process.
	cursorKey [32]byte
	log       *slog.Logger
	// streams bounds and ends the change feed's event streams.
	streams *changeStreams
}

// newServer returns the HTTP handler of the service: the routes of the four
// APIs over eng, authenticated with keys (API key -> organisation id).
func newServer(eng *engine.Engine, keys map[string]string, lim limits) *server {
	s := &server{
		eng:        eng,
		keys:       make(map[string]string, len(keys)),
		mux:        http.NewServeMux(),
		now:        time.Now,
		newTraceID: randomTraceID,
		limits:     lim,
		bodies:     &byteBudget{max: lim.bodyBudget},
		listings:   make(chan struct{}, max(lim.maxListings, 1)),
		cursorKey:  newCursorKey(),
		log:        slog.New(slog.DiscardHandler),
		streams:    newChangeStreams(max(lim.maxStreams, 1)),
	}
	for k, org := range keys {
		s.keys[k] = org
	}
	s.routes()
	return s
}

func (s *server) routes() {
	const aitronos = "/v1/organizations/{organization_id}/access"
	s.route("POST "+aitronos+"/grants", styleEnvelope, s.createGrant)
	s.route("GET "+aitronos+"/grants", styleEnvelope, s.listGrants)
	s.route("POST "+aitronos+"/grants/bulk", styleEnvelope, s.bulkCreateGrants)
	s.route("GET "+aitronos+"/grants/{grant_id}", styleEnvelope, s.getGrant)
	s.route("PATCH "+aitronos+"/grants/{grant_id}", styleEnvelope, s.updateGrant)
	s.route("DELETE "+aitronos+"/grants/{grant_id}", styleEnvelope, s.revokeGrant)
	s.route("GET "+aitronos+"/entities/{entity_type}/{entity_id}/grants", styleEnvelope, s.entityGrants(""))
	for path, typ := range entityGrantAliases {
		s.route("GET "+aitronos+"/"+path+"/{entity_id}/grants", styleEnvelope, s.entityGrants(typ))
	}
	s.route("GET "+aitronos+"/entities/{entity_type}/{entity_id}/users", styleEnvelope, s.usersWithAccess)
	s.route("GET "+aitronos+"/users/{user_id}/resolved-access", styleEnvelope, s.resolvedAccess)
	s.route("GET "+aitronos+"/users/{user_id}/resolved-access/{entity_type}/{entity_id}", styleEnvelope, s.resolveOne)
	const member = aitronos + "/groups/{group_type}/{group_id}/members/{member_type}/{member_id}"
	s.route("PUT "+member, styleEnvelope, s.changeMember(s.eng.AddMembers))
	s.route("DELETE "+member, styleEnvelope, s.changeMember(s.eng.RemoveMembers))
	s.route("PUT "+aitronos+linkPath, styleEnvelope, s.changeLink(s.eng.LinkEntities))
	s.route("DELETE "+aitronos+linkPath, styleEnvelope, s.changeLink(s.eng.UnlinkEntities))
	s.route("GET "+changesPath, styleEnvelope, s.listChanges)

	s.route("POST /api/access-grants/bulk", styleEnvelope, s.elacityBulk)

	s.route("POST /api/v1/assignments/bulk-create", styleEnvelope, s.canopyBulkCreate)

	const jobs = "/api/v1-preview/tenants/{tenantId}/namespaces/{namespaceId}/bulk/accesscontrol/jobs"
	s.route("GET "+jobs, styleAveva, s.avevaListJobs)
	s.route("POST "+jobs, styleAveva, s.avevaCreateJob)
	s.route("GET "+jobs+"/{jobId}", styleAveva, s.avevaGetJob)
	s.route("GET "+jobs+"/{jobId}/jobsteps", styleAveva, s.avevaJobSteps)
}

// route registers h behind authentication: an API key in X-API-Key, or else
// in Authorization: Bearer, that the keys file knows. Reads wait for
// ?at_least_revision and writes answer with their revision (revision.go).
func (s *server) route(pattern string, style errStyle, h handlerFunc) {
	h = s.withRevisions(style, h)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := &call{traceID: w.Header().Get("X-Request-Id")}
		key := apiKey(r)
		org, ok := s.keys[key]
		var err error
		switch {
		case key == "":
			err = &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Field: "X-API-Key",
				Detail: "an API key is required in X-API-Key or Authorization: Bearer"}
		case !ok:
			err = &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Field: "X-API-Key",
				Detail: "the API key is not valid"}
		default:
			c.org, c.principal = org, principalOf(key)
			var release func()
			if release, err = s.reserveBody(r); err == nil {
				err = h(w, r, c)
				release()
			}
		}
		if err != nil {
			s.fail(w, style, c.traceID, err)
		}
	})
}

// apiKey returns the request's API key: X-API-Key wins over Authorization:
// Bearer when both are present, as the Elacity page documents.
func apiKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return k
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

func principalOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "apikey_" + hex.EncodeToString(sum[:6])
}

// ServeHTTP gives every request a trace id and a deadline (but the change
// feed's event streams, which last until the client leaves or the service
// shuts down), answers unknown
// routes and methods in the envelope, and turns a panic into a 500 rather
// than a torn connection.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.limits.requestTimeout > 0 && !wantsEventStream(r) {
		ctx, cancel := context.WithTimeout(r.Context(), s.limits.requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	trace := traceIDOf(r, s.newTraceID)
	w.Header().Set("X-Request-Id", trace)
	style := styleEnvelope
	if strings.HasPrefix(r.URL.Path, "/api/v1-preview/") {
		style = styleAveva
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "trace", trace, "panic", fmt.Sprint(v))
			s.fail(w, style, trace, fmt.Errorf("panic: %v", v))
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(w, r, style, trace)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted answers a request no route matches: 404, or 405 with Allow when
// the path exists for other methods (which the mux works out).
func (s *server) unrouted(w http.ResponseWriter, r *http.Request, style errStyle, trace string) {
	h, _ := s.mux.Handler(r)
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.fail(w, style, trace, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
			Detail: fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, probe.header.Get("Allow"))})
		return
	}
	s.fail(w, style, trace, notFound("", "no route for %s %s", r.Method, r.URL.Path))
}

// statusProbe records what the mux's own 404/405 handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// fail writes err in style.
func (s *server) fail(w http.ResponseWriter, style errStyle, trace string, err error) {
	ae := toAPIError(err, nil)
	if ae.Status >= 500 {
		s.log.Error("request failed", "trace", trace, "status", ae.Status, "err", err)
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accessapi"`)
	}
	if style == styleAveva {
		writeJSON(w, ae.Status, ae.aveva(trace))
		return
	}
	writeJSON(w, ae.Status, ae.envelope(trace, s.now().UTC().Format(time.RFC3339)))
}

// writeJSON writes v with status. v is encoded before anything is sent, so
// an encoding failure is still a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"success":false,"error":{"code":"INTERNAL_ERROR","message":"An unexpected error occurred.","system_message":"Internal error","type":"server_error","status":500,"details":{"message":"response encoding failed"}}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// traceIDOf keeps a caller's X-Request-Id when it is a short token, so that
// logs on both sides meet; otherwise it makes one.
func traceIDOf(r *http.Request, gen func() string) string {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		return gen()
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return gen()
		}
	}
	return id
}

func randomTraceID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:6] + "-" + h[6:12] + "-" + h[12:]
}
