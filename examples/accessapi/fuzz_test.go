package main

import (
	"encoding/json"
	"net/http"
	"testing"
)

// fuzzRoutes are the routes that decode a request body, each with a key
// allowed on it.
var fuzzRoutes = []struct{ method, path, key string }{
	{http.MethodPost, grantsPath, keyXYZ},
	{http.MethodPost, grantsPath + "/bulk", keyXYZ},
	{http.MethodPatch, grantsPath + "/agrant_00000000000000000000", keyXYZ},
	{http.MethodPost, elacityPath, keyXYZ},
	{http.MethodPost, canopyPath, keyXYZ},
	{http.MethodPost, canopyPath + "?atomic=false", keyXYZ},
	{http.MethodPost, jobsPath, keyTenant},
}

// FuzzDecodeRequests sends arbitrary bodies to every route that decodes one:
// whatever the input, the answer is never a 5xx, never a panic, and always a
// JSON body (or none, for 204).
func FuzzDecodeRequests(f *testing.F) {
	for i := range fuzzRoutes {
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Add(uint8(0), []byte(seedCreateRequest))
	f.Add(uint8(3), []byte(seedElacityRequest))
	f.Add(uint8(6), []byte(seedJobInput))

	ts := newTestServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		ts.t = t
		r := ts.do(rt.method, rt.path, rt.key, body)
		if r.Status >= 500 {
			t.Fatalf("%s %s answered %d: %s", rt.method, rt.path, r.Status, r.Raw)
		}
		if r.Status != http.StatusNoContent && !json.Valid(r.Raw) {
			t.Fatalf("%s %s answered %d with a body that is not JSON: %q", rt.method, rt.path, r.Status, r.Raw)
		}
	})
}
