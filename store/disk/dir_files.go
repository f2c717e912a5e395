package disk

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The files of a database directory:
//
//	LOCK                                the advisory lock (flock)
//	MANIFEST                            the live files (manifest.go)
//	snapshot-<revision>.buntdb          a snapshot of the state at revision
//	journal-<first revision>.buntdb     a journal segment, from that revision on
//	<one of the above>.tmp              a file being written; removed on open
//
// Revisions are written with 20 digits so that names sort as revisions do.
// Anything else in the directory means it is not ours.
const (
	lockName       = "LOCK"
	manifestName   = "MANIFEST"
	snapshotPrefix = "snapshot-"
	segmentPrefix  = "journal-"
	fileSuffix     = ".buntdb"
	tempSuffix     = ".tmp"
)

func snapshotName(rev uint64) string {
	return fmt.Sprintf("%s%020d%s", snapshotPrefix, rev, fileSuffix)
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%s%020d%s", segmentPrefix, first, fileSuffix)
}

// parseRevisionName returns the revision in name if it is prefix, 20
// digits, fileSuffix.
func parseRevisionName(name, prefix string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, fileSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil
}

// dirListing is what a database directory holds, sorted by revision.
type dirListing struct {
	snapshots []uint64
	segments  []uint64
	temps     []string
}

// listDir reads the directory and refuses it if it holds anything of
// someone else's.
func listDir(dir string) (dirListing, error) {
	var l dirListing
	entries, err := os.ReadDir(dir)
	if err != nil {
		return l, fmt.Errorf("store: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			return l, notOursf(dir, "%s is not a regular file", name)
		}
		if name == lockName || name == manifestName {
			continue
		}
		if name == manifestName+tempSuffix {
			l.temps = append(l.temps, name)
			continue
		}
		if base, ok := strings.CutSuffix(name, tempSuffix); ok {
			_, snapshot := parseRevisionName(base, snapshotPrefix)
			_, segment := parseRevisionName(base, segmentPrefix)
			if snapshot || segment {
				l.temps = append(l.temps, name)
				continue
			}
		}
		if rev, ok := parseRevisionName(name, snapshotPrefix); ok {
			l.snapshots = append(l.snapshots, rev)
			continue
		}
		if rev, ok := parseRevisionName(name, segmentPrefix); ok {
			l.segments = append(l.segments, rev)
			continue
		}
		return l, notOursf(dir, "unexpected file %s", name)
	}
	slices.Sort(l.snapshots)
	slices.Sort(l.segments)
	return l, nil
}

func notOursf(dir, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNotDatabase, dir, fmt.Sprintf(format, args...))
}

// syncDir fsyncs a directory, so that files created, renamed or removed in
// it stay so after a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ensureDir makes dir if it is missing (fsyncing its parent), and refuses a
// path that is not a directory.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrNotDatabase, dir)
	case err == nil:
		return nil
	case !os.IsNotExist(err):
		return fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return fmt.Errorf("store: fsync parent of %s: %w", dir, err)
	}
	return nil
}
