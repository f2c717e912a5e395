package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// apiError is a refused request, before it is written in the style of the
// API that refused it: the Aitronos envelope or AVEVA's ErrorResponse.
type apiError struct {
	Status int
	// Code is the machine-readable code: model's codes for engine errors,
	// and BAD_REQUEST, UNAUTHORIZED, ... for what the HTTP layer refuses.
	Code string
	// Field names the offending input, in the wire name of the API that
	// refused it; empty when no single input is to blame.
	Field string
	// Detail says what is wrong with Field (the envelope's details.message).
	Detail string
	// RetryAfter, when not 0, is sent as Retry-After (seconds).
	RetryAfter int
}

func (e *apiError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
	}
	return fmt.Sprintf("%d %s: %s: %s", e.Status, e.Code, e.Field, e.Detail)
}

// Codes of the refusals the HTTP layer makes itself.
const (
	codeBadRequest           = "BAD_REQUEST"
	codeUnauthorized         = "UNAUTHORIZED"
	codeForbidden            = "FORBIDDEN"
	codeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	codeTooLarge             = "PAYLOAD_TOO_LARGE"
	codeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	codeTooManyRequests      = "TOO_MANY_REQUESTS"
	codeInternal             = "INTERNAL_ERROR"
	codeUnavailable          = "SERVICE_UNAVAILABLE"
)

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: model.CodeValidation, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func notFound(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: model.CodeNotFound, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// statusText holds the envelope's fixed words per status: message (for
// people) and system_message (for logs), as the Aitronos 422 example has
// them ("The request contains invalid data.", "Validation error").
var statusText = map[int][2]string{
	http.StatusBadRequest:            {"The request could not be read.", "Bad request"},
	http.StatusUnauthorized:          {"A valid API key is required.", "Unauthorized"},
	http.StatusForbidden:             {"This API key has no access to this organization.", "Forbidden"},
	http.StatusNotFound:              {"The requested resource was not found.", "Not found"},
	http.StatusMethodNotAllowed:      {"The method is not allowed for this resource.", "Method not allowed"},
	http.StatusConflict:              {"The request conflicts with existing data.", "Conflict"},
	http.StatusGone:                  {"The requested changes are no longer held.", "Gone"},
	http.StatusRequestEntityTooLarge: {"The request body is too large.", "Payload too large"},
	http.StatusUnsupportedMediaType:  {"The request body must be JSON.", "Unsupported media type"},
	http.StatusUnprocessableEntity:   {"The request contains invalid data.", "Validation error"},
	http.StatusTooManyRequests:       {"Too many requests; try again later.", "Too many requests"},
	http.StatusInternalServerError:   {"An unexpected error occurred.", "Internal error"},
	http.StatusServiceUnavailable:    {"The service is unavailable; try again later.", "Service unavailable"},
}

func textFor(status int) (message, system string) {
	if t, ok := statusText[status]; ok {
		return t[0], t[1]
	}
	return http.StatusText(status), http.StatusText(status)
}

// statusOfCode maps model's error codes to HTTP statuses.
func statusOfCode(code string) int {
	switch code {
	case model.CodeValidation:
		return http.StatusUnprocessableEntity
	case model.CodeNotFound:
		return http.StatusNotFound
	case model.CodeDuplicate, model.CodeConflict:
		return http.StatusConflict
	case model.CodeClosed:
		return http.StatusServiceUnavailable
	case model.CodeCompacted:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// toAPIError turns any error a handler returns into an apiError. rename maps
// the engine's snake_case field names to the wire names of the API at hand
// (nil: keep them).
func toAPIError(err error, rename func(string) string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var me *model.Error
	if errors.As(err, &me) {
		if rename == nil {
			rename = keepField
		}
		return &apiError{Status: statusOfCode(me.Code), Code: me.Code, Field: rename(me.Field), Detail: renameMessage(me, rename)}
	}
	if errors.Is(err, engine.ErrNotReplicated) {
		// A replica (-nats) whose shared log is unreachable: reads go on,
		// writes wait for NATS. The write may still land, as any request
		// whose answer was lost.
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, RetryAfter: retryAfterSeconds,
			Detail: "the shared log did not acknowledge the write (NATS unreachable); it may still have been applied"}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, RetryAfter: retryAfterSeconds,
			Detail: "the request was cancelled, or ran past its deadline, before it finished"}
	}
	// Anything else is a fault of ours; its text may say more than a client
	// should see, so the client gets a fixed message and the log the cause.
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Detail: "internal error"}
}

// envelope is the Aitronos error body.
type envelope struct {
	Success bool         `json:"success"`
	Error   envelopeBody `json:"error"`
}

type envelopeBody struct {
	Code          string          `json:"code"`
	Message       string          `json:"message"`
	SystemMessage string          `json:"system_message"`
	Type          string          `json:"type"`
	Status        int             `json:"status"`
	Details       envelopeDetails `json:"details"`
	TraceID       string          `json:"trace_id"`
	Timestamp     string          `json:"timestamp"`
}

// envelopeDetails names the offending field; field is null when no single
// field is to blame (a malformed body, a missing key).
type envelopeDetails struct {
	Field   *string `json:"field"`
	Message string  `json:"message"`
}

func (e *apiError) envelope(traceID, timestamp string) envelope {
	msg, sys := textFor(e.Status)
	typ := "client_error"
	if e.Status >= 500 {
		typ = "server_error"
	}
	return envelope{Error: envelopeBody{
		Code: e.Code, Message: msg, SystemMessage: sys, Type: typ, Status: e.Status,
		Details: envelopeDetails{Field: optionalString(e.Field), Message: e.Detail},
		TraceID: traceID, Timestamp: timestamp,
	}}
}

// avevaError is AVEVA's ErrorResponse. OperationId is the request's trace id.
type avevaError struct {
	OperationID       string            `json:"OperationId"`
	Error             string            `json:"Error"`
	Reason            string            `json:"Reason"`
	Resolution        string            `json:"Resolution"`
	DynamicProperties map[string]string `json:"DynamicProperties,omitempty"`
}

func (e *apiError) aveva(traceID string) avevaError {
	msg, _ := textFor(e.Status)
	out := avevaError{OperationID: traceID, Error: msg, Reason: e.Detail, Resolution: resolutionFor(e.Status)}
	if e.Field != "" {
		out.Reason = e.Field + ": " + e.Detail
		out.DynamicProperties = map[string]string{"Field": e.Field, "Code": e.Code}
	} else {
		out.DynamicProperties = map[string]string{"Code": e.Code}
	}
	return out
}

func resolutionFor(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return "Correct the request and send it again."
	case http.StatusUnauthorized:
		return "Send a valid API key in X-API-Key or Authorization: Bearer."
	case http.StatusForbidden:
		return "Use an API key of this tenant and namespace."
	case http.StatusNotFound:
		return "Check the identifiers in the path."
	case http.StatusConflict:
		return "Read the current state and retry."
	}
	return "Retry later; if the problem persists, contact the operator."
}

// renameMessage renames the field in the engine's message too: its messages
// start with the field's name ("entity_id is required").
func renameMessage(me *model.Error, rename func(string) string) string {
	if me.Field == "" {
		return me.Message
	}
	if rest, ok := strings.CutPrefix(me.Message, me.Field+" "); ok {
		return rename(me.Field) + " " + rest
	}
	return me.Message
}

func keepField(f string) string { return f }
