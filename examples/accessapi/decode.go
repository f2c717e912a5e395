package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeJSON reads r's body, at most limit bytes, into dst: exactly one JSON
// value, no unknown fields, every value of the type dst declares. Every
// failure is an *apiError: 415 for a body not declared application/json,
// 413 for a body over the limit, 400 naming the field (with the index of
// each list item on the way, "grants[3].entity_id") for the rest. dst must
// be a pointer to a struct (a programming error otherwise).
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if r.Body == nil || r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return badRequest("", "a JSON request body is required")
	}
	if err := jsonContentType(r); err != nil {
		return err
	}
	data, err := readBody(w, r, limit)
	if err != nil {
		return decodeError(err, nil, nil)
	}
	if v := bytes.TrimSpace(data); len(v) == 0 {
		return badRequest("", "a JSON request body is required")
	} else if string(v) == "null" {
		// encoding/json reads null into a struct as "nothing to do",
		// which would then be refused for its first missing field.
		return badRequest("", "the request body must be a JSON object, not null")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, data, reflect.TypeOf(dst))
	}
	// Exactly one value: "{} {}" or "{}x" is as malformed as a torn one.
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
		return nil
	case err == nil:
		return badRequest("", "the request body must hold exactly one JSON value")
	default:
		return decodeError(err, nil, nil)
	}
}

// jsonContentType refuses with 415 a body whose Content-Type is not
// application/json (parameters such as charset are allowed).
func jsonContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		if ct == "" {
			ct = "none"
		}
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: codeUnsupportedMediaType, Field: "Content-Type",
			Detail: fmt.Sprintf("the request body must be sent as Content-Type: application/json, not %s", ct)}
	}
	return nil
}

// readBody reads the whole body, at most limit bytes. A declared length
// sizes the buffer once; the decoder would hold the whole value anyway.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// decodeError turns an encoding/json error into a 400 (or 413) naming the
// field where encoding/json tells which; data and root (the body and the
// type it was decoded into), when given, add the indices of list items.
func decodeError(err error, data []byte, root reflect.Type) error {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Detail: fmt.Sprintf("the request body must be at most %d bytes", tooBig.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("", "a JSON request body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return badRequest("", "the request body must be a JSON %s, not %s", jsonKind(typeErr.Type), typeErr.Value)
		}
		if data != nil {
			field = indexedPathAt(data, root, typeErr.Offset, field)
		}
		return badRequest(field, "%s must be a JSON %s, not %s", field, jsonKind(typeErr.Type), typeErr.Value)
	}
	// encoding/json reports an unknown field only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		field := name
		if data != nil {
			field = unknownFieldPath(data, root, name)
		}
		return badRequest(field, "unknown field %q", name)
	}
	return badRequest("", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON kind a Go type is read from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "value"
}

// parseTime reads an optional RFC 3339 timestamp (empty: the zero time).
// A timestamp that does not parse is a 400 naming field, like a value of the
// wrong JSON type: the request is malformed, not merely invalid.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest(field, "%s must be an RFC 3339 timestamp such as 2026-04-20T12:00:00Z", field)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return time.Time{}, badRequest(field, "%s must be within the years 0001 to 9999 in UTC", field)
	}
	return t.UTC(), nil
}

// queryInt reads an optional non-negative integer query parameter; absent
// is def. A bad one is a 422 naming it.
func queryInt(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, invalid(name, "%s must be a non-negative integer", name)
	}
	return n, nil
}
