package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	resolvedPath = "/v1/organizations/org_xyz789/access/users/u/resolved-access"
	usersPath    = "/v1/organizations/org_xyz789/access/entities/knowledge_slice/wide/users"
)

// listingFixture: user u reaches 250 knowledge slices directly and slice
// "wide" through 12 departments; 250 users reach "wide" directly.
func listingFixture(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	var ins []model.GrantInput
	for i := range 250 {
		ins = append(ins,
			model.GrantInput{Entity: model.EntityRef{Type: "knowledge_slice", ID: fmt.Sprintf("ks%03d", i)}, Grantee: model.User("u"), Level: model.LevelRead},
			model.GrantInput{Entity: model.EntityRef{Type: "knowledge_slice", ID: "wide"}, Grantee: model.User(fmt.Sprintf("v%03d", i)), Level: model.LevelWrite})
	}
	for d := range 12 {
		dept := model.Subject{Type: model.SubjectDepartment, ID: fmt.Sprintf("d%02d", d)}
		ins = append(ins, model.GrantInput{Entity: model.EntityRef{Type: "knowledge_slice", ID: "wide"}, Grantee: dept, Level: model.LevelAdmin})
		require.NoError(t, ts.eng.AddMembers(ctx, orgXYZ, model.Membership{Member: model.User("u"), Group: dept}))
	}
	res, err := ts.eng.BulkCreate(ctx, orgXYZ, ins, bulk.Options{Mode: bulk.AllOrNothing})
	require.NoError(t, err)
	require.True(t, res.Committed)
}

// walkPages follows next_cursor from path until the last page, returning
// every page's entries under list.
func walkPages(t *testing.T, ts *testServer, path, list string) (pages [][]any) {
	t.Helper()
	next := path
	for range 100 {
		r := ts.do(http.MethodGet, next, keyXYZ, nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		body := r.Object(t)
		pages = append(pages, body[list].([]any))
		if body["next_cursor"] == nil {
			assert.Equal(t, false, body["has_more"])
			return pages
		}
		assert.Equal(t, true, body["has_more"])
		u, err := url.Parse(path)
		require.NoError(t, err)
		q := u.Query()
		q.Set("cursor", body["next_cursor"].(string))
		u.RawQuery = q.Encode()
		next = u.String()
	}
	t.Fatal("more than 100 pages")
	return nil
}

func TestResolvedAccessIsPaged(t *testing.T) {
	ts := newTestServer(t)
	listingFixture(t, ts)
	full, err := ts.eng.ResolvedAccess(context.Background(), orgXYZ, "u", resolve.Query{})
	require.NoError(t, err)
	require.Len(t, full, 251, "the library call stays complete")

	pages := walkPages(t, ts, resolvedPath, "entities")
	require.Len(t, pages, 3, "default limit 100")
	assert.Len(t, pages[0], 100)
	var got []string
	for _, p := range pages {
		for _, e := range p {
			e := e.(map[string]any)
			got = append(got, e["entity_id"].(string))
			if e["entity_id"] == "wide" {
				assert.Len(t, e["via"], maxViaPaths, "at most 10 paths per entry")
				assert.EqualValues(t, 12, e["via_total"], "and the count of them all")
			} else {
				assert.EqualValues(t, 1, e["via_total"])
			}
		}
	}
	var want []string
	for _, d := range full {
		want = append(want, d.Entity.ID)
	}
	assert.Equal(t, want, got, "the pages are the complete list, in order, each entry once")

	pages = walkPages(t, ts, resolvedPath+"?limit=1000", "entities")
	assert.Len(t, pages, 1)
	pages = walkPages(t, ts, resolvedPath+"?limit=7&min_level=admin", "entities")
	assert.Len(t, pages, 1, "filters apply before paging")

	// The single decision still lists every path.
	one := ts.do(http.MethodGet, resolvedPath+"/knowledge_slice/wide", keyXYZ, nil).Object(t)
	assert.Len(t, one["via"], 12)
}

func TestUsersWithAccessIsPaged(t *testing.T) {
	ts := newTestServer(t)
	listingFixture(t, ts)
	full, err := ts.eng.UsersWithAccess(context.Background(), orgXYZ, model.EntityRef{Type: "knowledge_slice", ID: "wide"}, model.LevelNone)
	require.NoError(t, err)
	require.Len(t, full, 251)

	pages := walkPages(t, ts, usersPath+"?limit=60", "users")
	require.Len(t, pages, 5)
	var got []string
	for _, p := range pages {
		for _, u := range p {
			u := u.(map[string]any)
			got = append(got, u["user_id"].(string))
			if u["user_id"] == "u" {
				assert.Len(t, u["via"], maxViaPaths)
				assert.EqualValues(t, 12, u["via_total"])
			}
		}
	}
	var want []string
	for _, u := range full {
		want = append(want, u.User)
	}
	assert.Equal(t, want, got)
}

func TestListingLimitAndCursorErrors(t *testing.T) {
	ts := newTestServer(t)
	listingFixture(t, ts)
	first := ts.do(http.MethodGet, resolvedPath+"?limit=2", keyXYZ, nil).Object(t)
	cursor := first["next_cursor"].(string)
	usersCursor := ts.do(http.MethodGet, usersPath+"?limit=2", keyXYZ, nil).Object(t)["next_cursor"].(string)
	tampered := []byte(cursor)
	tampered[3] ^= 1
	if tampered[3] == '-' || tampered[3] == '_' { // keep it base64url
		tampered[3] = 'A'
	}
	cases := []struct{ name, path, field string }{
		{"limit over 1000", resolvedPath + "?limit=1001", "limit"},
		{"negative limit", resolvedPath + "?limit=-1", "limit"},
		{"limit not a number", usersPath + "?limit=ten", "limit"},
		{"a cursor not ours", resolvedPath + "?cursor=abc", "cursor"},
		{"an altered cursor", resolvedPath + "?cursor=" + string(tampered), "cursor"},
		{"another listing's cursor", resolvedPath + "?cursor=" + usersCursor, "cursor"},
		{"a cursor of other filters", resolvedPath + "?entity_type=knowledge_slice&cursor=" + cursor, "cursor"},
		{"another user's cursor", "/v1/organizations/org_xyz789/access/users/v001/resolved-access?cursor=" + cursor, "cursor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertEnvelope(t, ts.do(http.MethodGet, c.path, keyXYZ, nil), 422, "VALIDATION_ERROR", c.field)
		})
	}
	second := ts.do(http.MethodGet, resolvedPath+"?limit=2&cursor="+cursor, keyXYZ, nil)
	require.Equal(t, http.StatusOK, second.Status, "the limit is not part of the query a cursor is bound to")
	assert.Equal(t, "ks002", second.Object(t)["entities"].([]any)[0].(map[string]any)["entity_id"])
}

func TestAListingWaitsForASlotThen503(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.limits.requestTimeout = 50 * 1e6 // 50 ms
	for range cap(ts.srv.listings) {
		ts.srv.listings <- struct{}{}
	}
	r := ts.do(http.MethodGet, resolvedPath, keyXYZ, nil)
	assertEnvelope(t, r, 503, "SERVICE_UNAVAILABLE", "")
	assert.Equal(t, "1", r.Header.Get("Retry-After"))
	<-ts.srv.listings
	assert.Equal(t, http.StatusOK, ts.do(http.MethodGet, resolvedPath, keyXYZ, nil).Status)
}
