package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// loadSnapshotFile loads the snapshot file at path into the new store s and
// returns its revision and grant id high-water. One goroutine reads and
// decodes records while this one restores their rows into s. onRows, when
// set, gets the rows before the store indexes them (Options.OnSnapshot).
func loadSnapshotFile(path string, s *store.Store, onRows func(store.ChangeSet)) (rev uint64, highWater string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("store: snapshot: %w", err)
	}
	defer f.Close()
	rd := &aofReader{r: f, buf: make([]byte, 1<<20)}
	version, rev, highWater, err := readSnapshotHeader(path, rd)
	if err != nil {
		return 0, "", err
	}

	batches := make(chan *loadBatch, 8)
	stop := make(chan struct{})
	var readErr error
	go func() {
		defer close(batches)
		readErr = readSnapshotRecords(path, rd, version, func(b *loadBatch) bool {
			select {
			case batches <- b:
				return true
			case <-stop:
				return false
			}
		})
	}()
	next := func() *loadBatch { return <-batches }
	finish := func() error {
		for range batches { // wait for the reader to end
		}
		return readErr
	}
	err = restore(s, rev, next, finish, onRows)
	close(stop)
	for range batches { // drain, so that the reader ends
	}
	if err != nil {
		return 0, "", wrapFileError(path, err)
	}
	return rev, highWater, nil
}

// wrapFileError names the file, keeping errors that already do.
func wrapFileError(path string, err error) error {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotDatabase) || errors.Is(err, ErrUnsupportedFormat) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
}

// readSnapshotHeader reads the header: the format version the file was
// written by (its records are read by that version's rules), its revision
// and grant id high-water.
func readSnapshotHeader(path string, rd *aofReader) (version byte, rev uint64, highWater string, err error) {
	key, val, err := rd.next()
	if err != nil || string(key) != snapHeaderKey {
		return 0, 0, "", fmt.Errorf("%w: %s is not a grantdb snapshot", ErrNotDatabase, path)
	}
	body, err := openRecord(val)
	if err != nil {
		return 0, 0, "", fmt.Errorf("%w: %s: header: %w", ErrCorrupt, path, err)
	}
	d := decoder{b: body}
	if d.string() != snapshotMagic {
		return 0, 0, "", fmt.Errorf("%w: %s is not a grantdb snapshot", ErrNotDatabase, path)
	}
	v := d.uvarint()
	if d.err == nil && (v < minReadVersion || v > snapshotVersion) {
		return 0, 0, "", fmt.Errorf("%w: %s: snapshot format version %d (this build reads %d to %d)",
			ErrUnsupportedFormat, path, v, minReadVersion, snapshotVersion)
	}
	rev = d.uvarint()
	highWater = d.string()
	d.end()
	if d.err != nil {
		return 0, 0, "", fmt.Errorf("%w: %s: header: %w", ErrCorrupt, path, d.err)
	}
	return byte(v), rev, highWater, nil
}

// readSnapshotRecords decodes the data records and the trailer, handing
// each batch to emit until it returns false. It also makes each grant into
// the row the store keeps (store.PrepareGrant), so that the goroutine
// restoring the rows has only to store them; the decoded grants are then
// copied, and every record is decoded into the same array.
func readSnapshotRecords(path string, rd *aofReader, version byte, emit func(*loadBatch) bool) error {
	var got snapCounts
	var decoded []model.Grant
	for {
		key, val, err := rd.next()
		if err == io.EOF {
			return fmt.Errorf("%w: %s: ends without its trailer (the file is cut short)", ErrCorrupt, path)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
		}
		body, err := openRecord(val)
		if err != nil {
			return fmt.Errorf("%w: %s: record %q: %w", ErrCorrupt, path, key, err)
		}
		if string(key) == snapTrailerKey {
			return checkTrailer(path, rd, body, version, got)
		}
		if !bytes.HasPrefix(key, []byte(snapRecordKey)) {
			return fmt.Errorf("%w: %s: unexpected record %q", ErrCorrupt, path, key)
		}
		b, err := decodeSnapRecord(body, version, decoded)
		if err == nil && b.grants != nil {
			decoded = b.grants
			b.rows = make([]store.RestoreRow, len(b.grants))
			for i := range b.grants {
				if b.rows[i], err = store.PrepareGrant(b.grants[i]); err != nil {
					break
				}
			}
			b.grants = nil // the next record is decoded into the array
		}
		if err != nil {
			return fmt.Errorf("%w: %s: record %q: %w", ErrCorrupt, path, key, err)
		}
		got.records++
		got.grants += uint64(len(b.rows))
		got.memberships += uint64(len(b.memberships))
		got.jobs += uint64(len(b.jobs))
		got.links += uint64(len(b.links))
		if !emit(b) {
			return nil
		}
	}
}

func checkTrailer(path string, rd *aofReader, body []byte, version byte, got snapCounts) error {
	d := decoder{b: body, version: version}
	want := snapCounts{records: d.uvarint(), grants: d.uvarint(), memberships: d.uvarint(), jobs: d.uvarint()}
	if d.v3() {
		want.links = d.uvarint()
	}
	d.end()
	if d.err != nil {
		return fmt.Errorf("%w: %s: trailer: %w", ErrCorrupt, path, d.err)
	}
	if want != got {
		return fmt.Errorf("%w: %s: trailer counts %+v, the file holds %+v", ErrCorrupt, path, want, got)
	}
	if _, _, err := rd.next(); err != io.EOF {
		return fmt.Errorf("%w: %s: bytes after the trailer", ErrCorrupt, path)
	}
	return nil
}

// decodeSnapRecord decodes one data record's rows, written by format
// version, its grants into spare's array when it has room.
func decodeSnapRecord(body []byte, version byte, spare []model.Grant) (*loadBatch, error) {
	d := decoder{b: body, version: version}
	b := &loadBatch{tag: d.byte()}
	switch b.tag {
	case tagGrants:
		var deleted []bool
		b.grants, deleted = decodeGrantRunInto(&d, d.count(minGrantBytes), spare)
		if slices.Contains(deleted, true) {
			d.fail("a snapshot holds no deletions")
		}
	case tagMemberships:
		b.memberships = decodeMembershipRun(&d, d.count(minMembershipBytes))
		for _, mc := range b.memberships {
			if mc.Deleted {
				d.fail("a snapshot holds no deletions")
			}
		}
	case tagJobs:
		n := d.count(2)
		b.jobs = make([]store.JobChange, n)
		for i := 0; i < n && d.err == nil; i++ {
			b.jobs[i] = decodeJobChange(&d)
		}
	case tagLinks:
		if !d.v3() {
			return nil, fmt.Errorf("table tag %d in a version %d snapshot: %w", b.tag, version, ErrUnsupportedFormat)
		}
		b.links = decodeLinkRun(&d, d.count(minLinkBytes))
		for _, lc := range b.links {
			if lc.Deleted {
				d.fail("a snapshot holds no deletions")
			}
		}
	default:
		if d.err == nil {
			return nil, fmt.Errorf("table tag %d: %w", b.tag, ErrUnsupportedFormat)
		}
	}
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	return b, nil
}

// loadBatch is a run of decoded snapshot rows of one table.
type loadBatch struct {
	tag byte
	// grants are the decoded grants, which the reader makes into rows (the
	// rows the store keeps) and drops before it hands the batch over.
	grants      []model.Grant
	rows        []store.RestoreRow
	memberships []store.MembershipChange
	links       []store.LinkChange
	jobs        []store.JobChange
}

// restore fills the new store s with the rows of the batches that next
// yields (nil: no more), through one store.Restore, and, unless finish then
// reports an error, commits them as revision rev.
func restore(s *store.Store, rev uint64, next func() *loadBatch, finish func() error, onRows func(store.ChangeSet)) error {
	r, err := s.Restore()
	if err != nil {
		return err
	}
	defer r.Abort()
	for b := next(); b != nil; b = next() {
		for _, row := range b.rows {
			if err := r.Row(row); err != nil {
				return err
			}
		}
		for _, mc := range b.memberships {
			if err := r.Membership(mc.Org, mc.Membership); err != nil {
				return err
			}
		}
		for _, lc := range b.links {
			if err := r.Link(lc.Org, lc.Link); err != nil {
				return err
			}
		}
		for _, jc := range b.jobs {
			var err error
			switch {
			case jc.Job != nil:
				err = r.Job(*jc.Job)
			case jc.Spec != nil:
				err = r.JobSpec(*jc.Spec)
			case jc.Step != nil:
				err = r.JobStep(*jc.Step)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := finish(); err != nil {
		return err
	}
	if onRows != nil {
		onRows(r.Rows(rev))
	}
	_, err = r.Commit(rev)
	return err
}

// aofReader reads the commands of a buntdb file one by one, holding only
// the command it returns (valid until the next call) and what follows in
// its buffer.
type aofReader struct {
	r      io.Reader
	buf    []byte
	lo, hi int
	off    int64 // file offset of buf[lo]
	eof    bool
}

// next returns the next command's key and value, io.EOF after the last
// one, or an error saying where the file stops making sense.
func (a *aofReader) next() (key, val []byte, err error) {
	for {
		if a.lo < a.hi {
			k, v, n, err := parseSetCommand(a.buf[a.lo:a.hi])
			if err == nil {
				a.lo += n
				a.off += int64(n)
				return k, v, nil
			}
			var syn *aofSyntaxError
			if errors.As(err, &syn) {
				return nil, nil, fmt.Errorf("unreadable bytes at offset %d", a.off+int64(syn.at))
			}
			if a.eof {
				return nil, nil, fmt.Errorf("the command at offset %d is cut short", a.off)
			}
		} else if a.eof {
			return nil, nil, io.EOF
		}
		if a.lo > 0 {
			a.hi = copy(a.buf, a.buf[a.lo:a.hi])
			a.lo = 0
		}
		if a.hi == len(a.buf) {
			a.buf = append(a.buf, make([]byte, len(a.buf))...)
		}
		n, err := a.r.Read(a.buf[a.hi:])
		a.hi += n
		if err == io.EOF {
			a.eof = true
		} else if err != nil {
			return nil, nil, err
		}
	}
}
