package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limits are what one tenant may take of the process. Every field has a
// flag (main.go) and a default documented in README.md ("Limits").
type limits struct {
	// maxBody is the largest request body (413 beyond).
	maxBody int64
	// bodyBudget bounds the bytes of request bodies being read or held
	// across the process: a request whose body does not fit is 503 with
	// Retry-After.
	bodyBudget int64
	// requestTimeout bounds each request's work (its context's deadline).
	requestTimeout time.Duration
	// maxListings is how many resolved-access listings may be built at
	// once (each is built whole in the engine before it is paged).
	maxListings int
	// maxJobSteps is the most steps (distinct resources) of one AVEVA job.
	maxJobSteps int
	// maxJobsInFlight is the most AVEVA jobs of one organisation that may
	// be running or waiting to (429 with Retry-After beyond).
	maxJobsInFlight int
	// maxRetainedJobSteps and maxRetainedJobs bound what an organisation's
	// jobs keep: the engine keeps every job and its steps for good (it has
	// no way to delete them yet), so a job that would take an organisation
	// past either is refused.
	maxRetainedJobSteps int
	maxRetainedJobs     int
	// maxStreams is how many change-feed event streams may be open at
	// once (503 with Retry-After beyond).
	maxStreams int
	// streamHeartbeat is the time between two heartbeat comments of an
	// event stream.
	streamHeartbeat time.Duration
	// revisionWait bounds how long a read with ?at_least_revision waits
	// for that revision (503 with Retry-After past it).
	revisionWait time.Duration
}

// Defaults of the limits.
const (
	defaultMaxBody             = 8 << 20
	defaultBodyBudget          = 64 << 20
	defaultRequestTimeout      = 30 * time.Second
	defaultMaxListings         = 4
	defaultMaxJobSteps         = 10_000
	defaultMaxJobsInFlight     = 4
	defaultMaxRetainedJobSteps = 100_000
	defaultMaxRetainedJobs     = 1_000
	defaultMaxStreams          = 64
	defaultStreamHeartbeat     = 15 * time.Second
	defaultRevisionWait        = 5 * time.Second
	// retryAfterSeconds is what a 503 or 429 asks the client to wait.
	retryAfterSeconds = 1
)

func defaultLimits() limits {
	return limits{
		maxBody: defaultMaxBody, bodyBudget: defaultBodyBudget, requestTimeout: defaultRequestTimeout,
		maxListings: defaultMaxListings, maxJobSteps: defaultMaxJobSteps, maxJobsInFlight: defaultMaxJobsInFlight,
		maxRetainedJobSteps: defaultMaxRetainedJobSteps, maxRetainedJobs: defaultMaxRetainedJobs,
		maxStreams: defaultMaxStreams, streamHeartbeat: defaultStreamHeartbeat, revisionWait: defaultRevisionWait,
	}
}

// busy is a 503 that asks the client to retry.
func busy(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Detail: fmt.Sprintf(format, args...), RetryAfter: retryAfterSeconds}
}

// tooMany is a 429 that asks the client to retry.
func tooMany(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: codeTooManyRequests, Field: field, Detail: fmt.Sprintf(format, args...), RetryAfter: 5 * retryAfterSeconds}
}

// byteBudget counts the bytes of request bodies in flight.
type byteBudget struct {
	mu        sync.Mutex
	used, max int64
}

// take reserves n bytes, or reports that they do not fit.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// reserveBody reserves the room r's body may take: its declared length, or
// the most a body may be when none is declared. A body declared over the
// limit is 413 before a byte of it is read; one that does not fit the
// budget is 503 with Retry-After. release gives the room back once the
// handler is done with what it decoded.
func (s *server) reserveBody(r *http.Request) (release func(), err error) {
	n := r.ContentLength
	switch {
	case n == 0:
		return func() {}, nil
	case n > s.limits.maxBody:
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Detail: "the request body must be at most " + strconv.FormatInt(s.limits.maxBody, 10) + " bytes"}
	case n < 0:
		n = s.limits.maxBody
	}
	if !s.bodies.take(n) {
		return nil, busy("the service is reading too many request bodies at once; retry shortly")
	}
	return func() { s.bodies.give(n) }, nil
}
