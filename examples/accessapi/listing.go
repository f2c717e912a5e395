package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// The resolved-access listings (a user's entities, an entity's users) are
// complete in the library; over HTTP they are paged, so that one answer
// stays small whatever an organisation holds, and each entry lists at most
// maxViaPaths of the paths that explain it, with via_total counting them
// all. The engine's paged calls (ResolvedAccessPage, UsersWithAccessPage)
// decide only the page's entries; the cursor carries the last one.

const (
	// maxViaPaths is the most paths listed per entry of a listing; the
	// single-entity decision lists them all.
	maxViaPaths = 10
	// defaultListingLimit and maxListingLimit bound a page's entries, as
	// the grant list's limit (model.DefaultPageSize, model.MaxPageSize).
	defaultListingLimit = model.DefaultPageSize
	maxListingLimit     = model.MaxPageSize
	// cursorMACLen is how many bytes of HMAC-SHA256 a cursor carries.
	cursorMACLen = 16
)

// listingPage reads the page's limit and cursor: limit 1 to 1000 (absent
// or 0: 100), and the position after which the page starts ("" for the
// first page). query names what the cursor is bound to (route, organisation,
// subject, filters): a cursor of another query, or one altered, is refused.
func (s *server) listingPage(r *http.Request, query ...string) (limit int, after string, err error) {
	if limit, err = queryInt(r, model.FieldLimit, defaultListingLimit); err != nil {
		return 0, "", err
	}
	if limit == 0 {
		limit = defaultListingLimit
	}
	if limit > maxListingLimit {
		return 0, "", invalid(model.FieldLimit, "limit must be at most %d", maxListingLimit)
	}
	c := r.URL.Query().Get(model.FieldCursor)
	if c == "" {
		return limit, "", nil
	}
	b, derr := base64.RawURLEncoding.DecodeString(c)
	if derr != nil || len(b) <= cursorMACLen {
		return 0, "", invalid(model.FieldCursor, "cursor is not one this service returned")
	}
	pos, mac := b[:len(b)-cursorMACLen], b[len(b)-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(pos, query)) {
		return 0, "", invalid(model.FieldCursor, "cursor is not one this service returned for this query")
	}
	return limit, string(pos), nil
}

// nextCursor is the cursor of the page after the entry at pos.
func (s *server) nextCursor(pos string, query ...string) *string {
	b := append([]byte(pos), s.cursorMAC([]byte(pos), query)...)
	c := base64.RawURLEncoding.EncodeToString(b)
	return &c
}

// cursorMAC signs pos with the query it belongs to. Each field is written
// with its length, so that no two queries write the same bytes.
func (s *server) cursorMAC(pos []byte, query []string) []byte {
	m := hmac.New(sha256.New, s.cursorKey[:])
	for _, f := range append(query, string(pos)) {
		m.Write([]byte(strconv.Itoa(len(f)) + ":" + f))
	}
	return m.Sum(nil)[:cursorMACLen]
}

func newCursorKey() (k [32]byte) {
	_, _ = rand.Read(k[:])
	return k
}

// cappedVia renders at most maxViaPaths of via, and how many there are.
func cappedVia(via []resolve.Path) ([]pathJSON, int) {
	return pathsJSON(via[:min(len(via), maxViaPaths)]), len(via)
}

// entityPosition is an entity's position in a user's listing, which is
// sorted by type, then id; NUL sorts before any byte of an id.
func entityPosition(e model.EntityRef) string { return e.Type + "\x00" + e.ID }

// withListingSlot runs build while holding one of the server's listing
// slots: a page is cheap in memory, but the engine still lists a listing's
// candidates (an id each) to find it, so at most cap(s.listings) pages are
// built at once; a request that cannot get a slot before its deadline is
// 503 with Retry-After.
func (s *server) withListingSlot(ctx context.Context, build func() error) error {
	select {
	case s.listings <- struct{}{}:
	case <-ctx.Done():
		return busy("too many listings are being built; retry shortly")
	}
	defer func() { <-s.listings }()
	return build()
}
