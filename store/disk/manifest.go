package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The MANIFEST names the directory's live files: the snapshot Load starts
// from (if any) and every journal segment after it. It is rewritten, to a
// temporary name, fsynced, renamed and the directory fsynced, whenever that
// set changes: when a segment is started (before any record goes into it)
// and when a checkpoint has written its snapshot (before the files it
// replaces are deleted). So a listed file that is missing has been lost —
// ErrCorrupt naming it — while an unlisted one is either a leftover of an
// interrupted roll or checkpoint (removed at Load) or not to be trusted.
//
// The file holds one sealed record, grantdb:manifest (doc.go has the
// layout).
const (
	manifestMagic = "grantdb manifest"
	manifestKey   = "grantdb:manifest"
)

// manifest is what a MANIFEST says.
type manifest struct {
	snapshot uint64 // revision of the live snapshot; meaningful when hasSnapshot
	hasSnap  bool
	segments []uint64 // first revisions, ascending
}

func (m manifest) encode() []byte {
	var e encoder
	e.string(manifestMagic)
	e.uvarint(FormatVersion)
	if m.hasSnap {
		e.byte(1)
		e.uvarint(m.snapshot)
	} else {
		e.byte(0)
	}
	e.uvarint(uint64(len(m.segments)))
	for _, s := range m.segments {
		e.uvarint(s)
	}
	return appendSetCommand(nil, manifestKey, sealRecord(nil, e.b))
}

// writeManifest replaces dir's MANIFEST with m, durably.
func writeManifest(dir string, m manifest) error {
	path := filepath.Join(dir, manifestName)
	tmp := path + tempSuffix
	err := writeFileSynced(tmp, m.encode())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	return nil
}

func writeFileSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// errNoManifest: the directory has no MANIFEST.
var errNoManifest = errors.New("no manifest")

// readManifest reads dir's MANIFEST.
func readManifest(dir string) (manifest, error) {
	path := filepath.Join(dir, manifestName)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return manifest{}, errNoManifest
	}
	if err != nil {
		return manifest{}, fmt.Errorf("store: %w", err)
	}
	key, val, n, err := parseSetCommand(b)
	if err != nil || string(key) != manifestKey || n != len(b) {
		return manifest{}, corruptf(path, "not a whole manifest record")
	}
	body, err := openRecord(val)
	if err != nil {
		return manifest{}, corruptf(path, "%v", err)
	}
	d := decoder{b: body}
	if d.string() != manifestMagic {
		return manifest{}, corruptf(path, "not a grantdb manifest")
	}
	// Versions 2 and 3 write the same MANIFEST.
	if v := d.uvarint(); d.err == nil && (v < minReadVersion || v > FormatVersion) {
		return manifest{}, fmt.Errorf("%w: %s: format version %d (this build reads %d to %d)",
			ErrUnsupportedFormat, path, v, minReadVersion, FormatVersion)
	}
	var m manifest
	switch d.byte() {
	case 0:
	case 1:
		m.hasSnap, m.snapshot = true, d.uvarint()
	default:
		d.fail("bad snapshot marker")
	}
	n64 := d.count(1)
	for range n64 {
		m.segments = append(m.segments, d.uvarint())
	}
	d.end()
	if d.err == nil && !slices.IsSorted(m.segments) {
		d.fail("segments out of order")
	}
	if d.err != nil {
		return manifest{}, corruptf(path, "%v", d.err)
	}
	return m, nil
}

// checkListing holds the directory's files against its manifest: every
// listed file must be there; unlisted files that an interrupted roll or
// checkpoint leaves (older snapshots and covered segments, a newer snapshot
// whose checkpoint did not finish, an empty segment after the listed ones)
// are returned for removal; any other unlisted file is ErrCorrupt. The
// listing it returns holds the live files only.
func checkListing(dir string, l dirListing, m manifest) (dirListing, []string, error) {
	var leftovers []string
	live := dirListing{temps: l.temps}
	if m.hasSnap {
		if !slices.Contains(l.snapshots, m.snapshot) {
			return l, nil, corruptf(filepath.Join(dir, snapshotName(m.snapshot)), "the manifest lists it, but it is missing")
		}
		live.snapshots = []uint64{m.snapshot}
	}
	for _, r := range l.snapshots {
		if !m.hasSnap || r != m.snapshot {
			leftovers = append(leftovers, snapshotName(r))
		}
	}
	for _, first := range m.segments {
		if !slices.Contains(l.segments, first) {
			return l, nil, corruptf(filepath.Join(dir, segmentName(first)), "the manifest lists it, but it is missing")
		}
	}
	live.segments = m.segments
	for _, first := range l.segments {
		if slices.Contains(m.segments, first) {
			continue
		}
		name := segmentName(first)
		switch {
		case len(m.segments) > 0 && first < m.segments[0],
			len(m.segments) == 0 && m.hasSnap && first <= m.snapshot:
			leftovers = append(leftovers, name) // covered by the snapshot
			continue
		case len(m.segments) == 0 || first > m.segments[len(m.segments)-1]:
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Size() == 0 {
				leftovers = append(leftovers, name) // a roll cut short
				continue
			}
		}
		return l, nil, corruptf(filepath.Join(dir, name), "the manifest does not list it")
	}
	return live, leftovers, nil
}
