package engine

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"

	"github.com/grantdb/grantdb/model"
)

// Cursors are the store position of the last grant of a page, opaque to
// callers. A position names a key, not an offset, so a cursor stays valid
// across writes: grants created before it are not returned, and none twice.
//
// A cursor starts with a hash of the query it came from (organisation and
// filters, not the limit), so that a cursor handed to another query is
// refused rather than silently read as a position in another index.

const cursorTagLen = 8

func cursorTag(org string, q model.GrantQuery) [cursorTagLen]byte {
	h := fnv.New64a()
	for _, s := range []string{org, q.Entity.Type, q.Entity.ID, string(q.Grantee.Type), q.Grantee.ID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write([]byte{byte(q.MinLevel)})
	var tag [cursorTagLen]byte
	binary.BigEndian.PutUint64(tag[:], h.Sum64())
	return tag
}

func encodeCursor(org string, q model.GrantQuery, pos string) string {
	tag := cursorTag(org, q)
	return base64.RawURLEncoding.EncodeToString(append(tag[:], pos...))
}

func decodeCursor(org string, q model.GrantQuery) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil || len(b) <= cursorTagLen {
		return "", model.NewError(model.CodeValidation, model.FieldCursor, "cursor is not one this engine returned")
	}
	if tag := cursorTag(org, q); string(b[:cursorTagLen]) != string(tag[:]) {
		return "", model.NewError(model.CodeValidation, model.FieldCursor, "cursor does not belong to this query")
	}
	return string(b[cursorTagLen:]), nil
}
