package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/grantdb/grantdb/store"
)

// replay reads every segment in order, checking every record, and applies
// to s the commits after its revision. The newest segment may end in the
// tail of a write a crash cut short — zeros, a command cut short, part
// records whose j: record never came — and that tail is cut off the file
// (and logged); so is a last record whose checksum fails, but only with
// Options.CutCorruptTail. Anything else that does not
// check is corruption, reported with the file and the revision. It returns
// the greatest grant id it met, for the id high-water.
func (j *journal) replay(s *store.Store) (highWater string, err error) {
	var prev uint64 // the last j: revision met, applied or not
	for i, first := range j.segs {
		path := filepath.Join(j.dir, segmentName(first))
		hw, last, err := j.replaySegment(s, path, first, i == len(j.segs)-1, prev)
		if err != nil {
			return "", err
		}
		highWater = max(highWater, hw)
		prev = last
	}
	return highWater, nil
}

// segmentReplay is the state of one segment's replay.
type segmentReplay struct {
	path      string
	prev      uint64   // the last j: revision met
	partsRev  uint64   // the revision of the parts gathered
	parts     [][]byte // part records gathered, in order
	partsFrom int      // offset of the first of them
	highWater string
	onReplay  func(cs store.ChangeSet, at time.Time) // Options.OnReplay
	keep      int                                    // Options.KeepCommits
}

func (j *journal) replaySegment(s *store.Store, path string, first uint64, newest bool, prev uint64) (string, uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, fmt.Errorf("store: journal: %w", err)
	}
	recs, goodEnd, tail := scanAOF(b)
	sr := &segmentReplay{path: path, prev: prev, onReplay: j.opts.OnReplay, keep: j.opts.KeepCommits}
	if tail == tailGarbage || tail == tailCrash && !newest {
		return "", 0, corruptf(path, "unreadable bytes at offset %d, after revision %d", goodEnd, sr.prev)
	}
	keepEnd := 0 // end of the last j: record
	var dropped string
	for k, r := range recs {
		kind, rev, n, ok := parseJournalKey(r.key)
		if !ok {
			// The file is named as ours and framed as ours: a key that is
			// not is damage, not someone else's file.
			return "", 0, corruptf(path, "bad record key %q at offset %d, after revision %d", r.key, r.start, sr.prev)
		}
		if k == 0 && rev != first {
			// A segment is named for its first revision: another name
			// means the file was renamed (or is another segment).
			return "", 0, corruptf(path, "its first record is revision %d, its name says %d", rev, first)
		}
		body, err := openRecord(r.val)
		if err != nil {
			// A record whole by its own lengths was written whole: a
			// checksum that fails is damage since, even at the end, and
			// only cut off when the operator asks for it.
			if newest && k == len(recs)-1 && j.opts.CutCorruptTail {
				dropped = fmt.Sprintf("the last record (revision %d), whose checksum fails (CutCorruptTail)", rev)
				break
			}
			return "", 0, corruptf(path, "revision %d at offset %d: %v", rev, r.start, err)
		}
		if kind == 'p' {
			if err := sr.addPart(rev, n, body, r.start, j); err != nil {
				return "", 0, err
			}
			continue
		}
		if err := sr.commit(s, rev, body); err != nil {
			return "", 0, err
		}
		keepEnd = r.end
	}
	if !newest {
		if len(sr.parts) > 0 {
			j.warn("dropping part records of a commit that never completed", sr.path, sr.partsFrom, sr.partsRev)
		}
		return sr.highWater, sr.prev, nil
	}
	if keepEnd == len(b) {
		return sr.highWater, sr.prev, nil
	}
	switch {
	case dropped != "":
	case len(sr.parts) > 0:
		dropped = "part records of an unfinished commit"
	case allZero(b[goodEnd:]) && goodEnd == keepEnd:
		dropped = "a zero-padded tail"
	default:
		dropped = "a record cut short"
	}
	j.log.Warn("grantdb: cutting the crash tail off the journal",
		"file", path, "offset", keepEnd, "bytes", len(b)-keepEnd, "dropped", dropped, "last_revision", sr.prev)
	if err := truncateFile(path, int64(keepEnd)); err != nil {
		return "", 0, fmt.Errorf("store: journal %s: cut the crash tail: %w", path, err)
	}
	return sr.highWater, sr.prev, nil
}

func (sr *segmentReplay) addPart(rev uint64, n int, body []byte, start int, j *journal) error {
	switch {
	case n == 0:
		if len(sr.parts) > 0 {
			j.warn("dropping part records of a commit that never completed", sr.path, sr.partsFrom, sr.partsRev)
		}
		sr.partsRev, sr.parts, sr.partsFrom = rev, [][]byte{body}, start
	case rev == sr.partsRev && n == len(sr.parts):
		sr.parts = append(sr.parts, body)
	default:
		return corruptf(sr.path, "revision %d: part %d out of order", rev, n)
	}
	return nil
}

// commit checks the j: record of rev and, when it is after the store's
// revision, applies it.
func (sr *segmentReplay) commit(s *store.Store, rev uint64, body []byte) error {
	if rev <= sr.prev {
		return corruptf(sr.path, "revision %d after revision %d", rev, sr.prev)
	}
	payload, err := sr.payload(rev, body)
	if err != nil {
		return err
	}
	sr.prev = rev
	have := s.Snapshot().Revision()
	if rev <= have {
		// In the snapshot already: kept for a change feed only.
		if sr.onReplay != nil && sr.keep > 0 {
			return sr.feedOnly(rev, payload)
		}
		return nil
	}
	if rev != have+1 {
		return corruptf(sr.path, "revision %d follows revision %d: commits are missing", rev, have)
	}
	cs, at, err := decodeChangeSet(payload)
	if errors.Is(err, errUnsupported) {
		return fmt.Errorf("%w: %s: revision %d: %w", ErrUnsupportedFormat, sr.path, rev, err)
	}
	if err == nil && cs.Revision != rev {
		err = fmt.Errorf("holds revision %d", cs.Revision)
	}
	if err == nil && sr.onReplay != nil && payload[0] < replacedVersion {
		noteReplaced(s, &cs)
	}
	if err == nil {
		err = s.Replay(cs)
	}
	if err != nil {
		return corruptf(sr.path, "revision %d: %v", rev, err)
	}
	for _, gc := range cs.Grants {
		sr.highWater = max(sr.highWater, gc.Grant.ID)
	}
	if sr.onReplay != nil {
		sr.onReplay(cs, at)
	}
	return nil
}

// feedOnly hands a kept commit the snapshot holds to OnReplay, unreplayed.
func (sr *segmentReplay) feedOnly(rev uint64, payload []byte) error {
	cs, at, err := decodeChangeSet(payload)
	if errors.Is(err, errUnsupported) {
		return fmt.Errorf("%w: %s: revision %d: %w", ErrUnsupportedFormat, sr.path, rev, err)
	}
	if err == nil && cs.Revision != rev {
		err = fmt.Errorf("holds revision %d", cs.Revision)
	}
	if err != nil {
		return corruptf(sr.path, "revision %d: %v", rev, err)
	}
	sr.onReplay(cs, at)
	return nil
}

// noteReplaced sets, on each grant write of cs, the row it replaces in s
// under its key, as the commit that made it did (store.GrantChange.Replaced):
// a change feed shows a write over a row of another id as that id's delete.
// Only a version 2 change set needs it; later ones record those rows.
func noteReplaced(s *store.Store, cs *store.ChangeSet) {
	r := s.Snapshot().Read()
	for i := range cs.Grants {
		gc := &cs.Grants[i]
		if gc.Deleted {
			continue
		}
		g := gc.Grant
		if old, ok := r.GrantWithEffect(g.Org, g.Entity, g.Grantee, g.Effect); ok {
			gc.Replaced = &old
		}
	}
}

// payload returns the change set bytes of a j: record: inline, or gathered
// from the part records before it.
func (sr *segmentReplay) payload(rev uint64, body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, corruptf(sr.path, "revision %d: empty record", rev)
	}
	switch body[0] {
	case journalInline:
		sr.parts = nil
		return body[1:], nil
	case journalParts:
	default:
		return nil, fmt.Errorf("%w: %s: revision %d: journal record kind %d", ErrUnsupportedFormat, sr.path, rev, body[0])
	}
	d := decoder{b: body[1:]}
	n := d.uvarint()
	total := d.uvarint()
	sum := d.bytes4()
	d.end()
	if d.err != nil {
		return nil, corruptf(sr.path, "revision %d: %v", rev, d.err)
	}
	if sr.partsRev != rev || uint64(len(sr.parts)) != n {
		return nil, corruptf(sr.path, "revision %d: %d part records, %d found", rev, n, len(sr.parts))
	}
	payload := bytes.Join(sr.parts, nil)
	sr.parts = nil
	if uint64(len(payload)) != total || checksum(payload) != sum {
		return nil, corruptf(sr.path, "revision %d: its part records do not add up", rev)
	}
	return payload, nil
}

// bytes4 reads a little-endian uint32.
func (d *decoder) bytes4() uint32 {
	if d.err == nil && d.left() < 4 {
		d.fail("record ends early")
	}
	if d.err != nil {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (j *journal) warn(msg, path string, offset int, rev uint64) {
	j.log.Warn("grantdb: "+msg, "file", path, "offset", offset, "revision", rev)
}

// parseJournalKey reads j:<revision> or p:<revision>:<n>.
func parseJournalKey(key []byte) (kind byte, rev uint64, n int, ok bool) {
	if len(key) < 22 || key[1] != ':' || key[0] != 'j' && key[0] != 'p' {
		return 0, 0, 0, false
	}
	kind = key[0]
	digits, rest := key[2:22], key[22:]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, 0, false
		}
	}
	rev, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, 0, 0, false
	}
	if kind == 'j' {
		return kind, rev, 0, len(rest) == 0
	}
	if len(rest) < 2 || rest[0] != ':' {
		return 0, 0, 0, false
	}
	n64, err := strconv.ParseUint(string(rest[1:]), 10, 31)
	if err != nil {
		return 0, 0, 0, false
	}
	return kind, rev, int(n64), true
}

// truncateFile cuts path to size and fsyncs it.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func corruptf(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, fmt.Sprintf(format, args...))
}
