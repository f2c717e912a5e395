package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grantdb/grantdb/model"
)

// The change feed over HTTP: GET .../access/changes?after&limit answers a
// page of the organisation's commits (engine.Changes); with Accept:
// text/event-stream it streams them as Server-Sent Events (engine.Watch),
// each event's id its revision, so that a client reconnecting with
// Last-Event-ID resumes where it stopped.

const (
	changesPath = "/v1/organizations/{organization_id}/access/changes"
	// eventStream is the media type of Server-Sent Events.
	eventStream = "text/event-stream"
	// streamWriteTimeout is how long one event or heartbeat may take to be
	// written: a client that stops reading is cut off after it.
	streamWriteTimeout = 30 * time.Second
)

// changePage is a page of the feed. next_after is the revision to pass as
// after for the next page: the last change's when the page is full, else
// the revision the engine had published when the page was read (so that a
// poller skips the other organisations' commits since). has_more says the
// page is full (the next one may still be empty); revision is the engine's
// revision when the page was answered.
type changePage struct {
	Changes   []model.Change `json:"changes"`
	NextAfter uint64         `json:"next_after"`
	HasMore   bool           `json:"has_more"`
	Revision  uint64         `json:"revision"`
}

// changeStreams bounds the event streams open at once and ends them all at
// shutdown (http.Server.Shutdown does not cancel the requests it waits for).
type changeStreams struct {
	slots chan struct{}
	// stopped ends every stream; stop is registered with
	// http.Server.RegisterOnShutdown.
	stopped context.Context
	stop    context.CancelFunc
}

func newChangeStreams(max int) *changeStreams {
	ctx, stop := context.WithCancel(context.Background())
	return &changeStreams{slots: make(chan struct{}, max), stopped: ctx, stop: stop}
}

// wantsEventStream reports whether r asks for the change feed as an event
// stream. Such a request is exempt from the per-request deadline (it lasts
// until the client leaves or the service shuts down).
func wantsEventStream(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/access/changes") &&
		strings.Contains(r.Header.Get("Accept"), eventStream)
}

// listChanges: GET .../access/changes?after&limit -> a page, or an event
// stream with Accept: text/event-stream.
func (s *server) listChanges(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	after, err := afterRevision(r)
	if err != nil {
		return err
	}
	if wantsEventStream(r) {
		return s.streamChanges(w, r, org, after)
	}
	limit, err := queryInt(r, model.FieldLimit, 0)
	if err != nil {
		return err
	}
	if limit > model.MaxPageSize {
		return invalid(model.FieldLimit, "limit must be at most %d", model.MaxPageSize)
	}
	if limit == 0 {
		limit = model.DefaultPageSize
	}
	published := s.eng.Revision()
	changes, err := s.eng.Changes(r.Context(), org, after, limit)
	if err != nil {
		return feedError(err, after)
	}
	page := changePage{Changes: changes, NextAfter: max(after, published), HasMore: len(changes) == limit}
	if n := len(changes); n > 0 {
		last := changes[n-1].Revision
		if page.HasMore {
			page.NextAfter = last
		} else {
			page.NextAfter = max(page.NextAfter, last)
		}
	}
	if page.Changes == nil {
		page.Changes = []model.Change{}
	}
	page.Revision = max(s.eng.Revision(), page.NextAfter)
	writeJSON(w, http.StatusOK, page)
	return nil
}

// afterRevision reads where the feed starts: the Last-Event-ID of a
// reconnecting event-stream client wins over ?after (a browser reconnects
// to the same URL); neither is revision 0, the start.
func afterRevision(r *http.Request) (uint64, error) {
	name, raw := "after", r.URL.Query().Get("after")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		name, raw = "Last-Event-ID", id
	}
	if raw == "" {
		return 0, nil
	}
	rev, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, invalid(name, "%s must be a revision: a non-negative integer", name)
	}
	return rev, nil
}

func feedError(err error, after uint64) error {
	if errors.Is(err, model.ErrCompacted) {
		return compactedError(after)
	}
	return err
}

// streamChanges streams org's changes after after as Server-Sent Events:
// "id: <revision>", "event: change", "data: <the change's JSON>", and a
// comment every heartbeat so that proxies keep the connection and a gone
// client is noticed. A refusal found before the stream starts (compacted, too
// many streams) is an ordinary error answer; one found later (the watcher
// fell out of the retained window) is an "event: error" with the envelope's
// error object, and the stream ends. It ends cleanly when the client leaves
// and when the service shuts down.
func (s *server) streamChanges(w http.ResponseWriter, r *http.Request, org string, after uint64) error {
	select {
	case s.streams.slots <- struct{}{}:
		defer func() { <-s.streams.slots }()
	default:
		return busy("%d change streams are open, the most this service serves; retry shortly", cap(s.streams.slots))
	}
	// Refuse a compacted start with a plain 410 rather than a stream that
	// ends at once.
	if _, err := s.eng.Changes(r.Context(), org, after, 1); err != nil {
		return feedError(err, after)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams.stopped, cancel)()

	rc := http.NewResponseController(w)
	// The server's read deadline would otherwise end the request (its
	// context) mid-stream; writes get their own deadline per event.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", eventStream)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(chunk []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send([]byte(": changes of " + org + " after revision " + strconv.FormatUint(after, 10) + "\n\n")) {
		return nil
	}

	changes := make(chan model.Change)
	ended := make(chan error, 1)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		for ch, err := range s.eng.Watch(ctx, org, after) {
			if err != nil {
				ended <- err
				return
			}
			select {
			case changes <- ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-watching }()

	beat := time.NewTicker(s.limits.streamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case ch := <-changes:
			data, err := json.Marshal(ch)
			if err != nil {
				s.log.Error("change stream: encoding a change failed", "org", org, "revision", ch.Revision, "err", err)
				return nil
			}
			if !send(fmt.Appendf(nil, "id: %d\nevent: change\ndata: %s\n\n", ch.Revision, data)) {
				return nil
			}
		case <-beat.C:
			if !send([]byte(": heartbeat\n\n")) {
				return nil
			}
		case err := <-ended:
			if ctx.Err() != nil {
				return nil // the client left, or the service is shutting down
			}
			ae := toAPIError(feedError(err, after), nil)
			if ae.Code == model.CodeCompacted {
				ae.Detail = "this stream fell behind the retained changes: read the state afresh and stream after the revision of that read"
			}
			body, _ := json.Marshal(ae.envelope(w.Header().Get("X-Request-Id"), s.now().UTC().Format(time.RFC3339)).Error)
			send(fmt.Appendf(nil, "event: error\ndata: %s\n\n", body))
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
