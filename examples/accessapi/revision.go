package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/grantdb/grantdb/model"
)

// Revisions as consistency tokens: every successful write answers with the
// engine's revision in revisionHeader, and a read sent with
// ?at_least_revision=N waits until the engine has published N, so that a
// client (or another replica's client) reads its own writes.

const (
	// revisionHeader carries the engine's revision on a write's answer: at
	// least the write's own revision (later writes of other callers may
	// have published since).
	revisionHeader = "Grantdb-Revision"
	// atLeastRevisionParam names the revision a read waits for.
	atLeastRevisionParam = "at_least_revision"
)

// withRevisions wraps h: a read (GET, HEAD) with ?at_least_revision=N first
// waits, up to s.limits.revisionWait, for revision N (503 with Retry-After
// past that wait); a write's successful answer carries revisionHeader.
func (s *server) withRevisions(style errStyle, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Limited here on the server's own writer too: a handler's
			// MaxBytesReader sees only the wrapper, which hides the hook
			// that closes the connection after an oversized body.
			r.Body = http.MaxBytesReader(w, r.Body, s.limits.maxBody)
			return h(&revisionWriter{ResponseWriter: w, s: s}, r, c)
		}
		if err := s.awaitRevision(r, style); err != nil {
			return err
		}
		return h(w, r, c)
	}
}

// awaitRevision waits for the revision a read asks for, if any. A value that
// is not a revision is 422 on the Aitronos routes and 400 on AVEVA's (whose
// page lists no 422).
func (s *server) awaitRevision(r *http.Request, style errStyle) error {
	raw := r.URL.Query().Get(atLeastRevisionParam)
	if raw == "" {
		return nil
	}
	rev, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		ae := invalid(atLeastRevisionParam, "%s must be a revision: a non-negative integer", atLeastRevisionParam)
		if style == styleAveva {
			ae.Status, ae.Code = http.StatusBadRequest, codeBadRequest
		}
		return ae
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.limits.revisionWait)
	defer cancel()
	switch err := s.eng.WaitRevision(ctx, rev); {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		return busy("revision %d is not published yet (the engine is at %d); retry shortly", rev, s.eng.Revision())
	default:
		return err
	}
}

// revisionWriter sets revisionHeader on a successful (2xx) answer. The
// handler has committed by the time it answers, so the engine's revision
// then is at least the write's.
type revisionWriter struct {
	http.ResponseWriter
	s       *server
	written bool
}

func (w *revisionWriter) WriteHeader(status int) {
	if !w.written {
		w.written = true
		if status >= 200 && status < 300 {
			w.Header().Set(revisionHeader, strconv.FormatUint(w.s.eng.Revision(), 10))
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *revisionWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *revisionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// compactedError is the 410 of a feed read whose revisions have left the
// retained window.
func compactedError(after uint64) *apiError {
	return &apiError{Status: http.StatusGone, Code: model.CodeCompacted, Field: "after",
		Detail: "changes after revision " + strconv.FormatUint(after, 10) +
			" are no longer held: read the state afresh and continue after the revision of that read"}
}
