package disk

import (
	"errors"
	"fmt"
	"time"

	"github.com/grantdb/grantdb/store"
)

// EncodeCommit appends to dst the journal's encoding of one commit (the
// change set body of a journal record, without its key or checksum). A
// replica of a shared log appends it as the commit's record, so that every
// replica applies the same bytes through the same path as a journal replay.
// at is the commit's time, as the journal records it.
func EncodeCommit(dst []byte, cs store.ChangeSet, at time.Time) []byte {
	return appendChangeSet(dst, &cs, at)
}

// DecodeCommit reads a commit written by EncodeCommit; its rows are fresh
// copies. A commit written by a newer format is ErrUnsupportedFormat.
func DecodeCommit(b []byte) (store.ChangeSet, time.Time, error) {
	cs, at, err := decodeChangeSet(b)
	if errors.Is(err, errUnsupported) {
		return store.ChangeSet{}, time.Time{}, fmt.Errorf("%w: %w", ErrUnsupportedFormat, err)
	}
	return cs, at, err
}
