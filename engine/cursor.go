package engine

import (
	"encoding/base64"

	"github.com/grantdb/grantdb/model"
)

// Cursors are the store position of the last grant of a page, opaque to
// callers. A position names a key, not an offset, so a cursor stays valid
// across writes: grants created before it are not returned, and none twice.

func encodeCursor(pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return "", model.NewError(model.CodeValidation, model.FieldCursor, "cursor is not one this engine returned")
	}
	return string(b), nil
}
