package disk_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/buntdb"
)

func TestJournal_ReopenReplaysEveryCommit(t *testing.T) {
	for _, policy := range []disk.SyncPolicy{disk.SyncAlways, disk.SyncEverySecond, disk.SyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			path := t.TempDir()
			opts := disk.Options{Sync: policy, SegmentRecords: 7}
			td := openTestDir(t, path, opts)
			w := newWorkload(1)
			for i := range 40 {
				td.commit(w, 1+i%4)
			}
			want := td.state()
			hw := td.dir.GrantIDHighWater()
			td.close()

			again := openTestDir(t, path, opts)
			assert.Equal(t, want, again.state())
			assert.Equal(t, hw, again.dir.GrantIDHighWater())
			assert.Greater(t, len(filesIn(t, path, "journal-")), 1, "segments roll after SegmentRecords")

			// Commits continue after the loaded revision.
			again.commit(w, 2)
			want = again.state()
			again.close()
			assert.Equal(t, want, openTestDir(t, path, opts).state())
		})
	}
}

func TestJournal_AppendRefusesARevisionOutOfOrder(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	cs := newWorkload(2).commit(t, td.store, 1)
	cs.Revision++
	assert.Error(t, td.dir.Append(cs, time.Time{}))
	cs.Revision--
	assert.NoError(t, td.dir.Append(cs, time.Time{}), "a refused revision does not fail the journal")
}

func TestJournal_FilesAreBuntDBFiles(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{PartBytes: 100})
	w := newWorkload(3)
	td.commit(w, 1)
	td.commit(w, 20) // in part records
	td.close()

	segs := filesIn(t, path, "journal-")
	require.Len(t, segs, 1)
	db, err := buntdb.Open(filepath.Join(path, segs[0]))
	require.NoError(t, err)
	defer db.Close()
	var keys []string
	require.NoError(t, db.View(func(tx *buntdb.Tx) error {
		return tx.AscendKeys("j:*", func(k, _ string) bool { keys = append(keys, k); return true })
	}))
	assert.Equal(t, []string{"j:00000000000000000001", "j:00000000000000000002"}, keys)
}

func TestJournal_PartRecords(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{PartBytes: 64}
	td := openTestDir(t, path, opts)
	w := newWorkload(4)
	td.commit(w, 1)
	td.commit(w, 30)
	td.commit(w, 2)
	want := td.state()
	td.close()
	assert.Equal(t, want, openTestDir(t, path, opts).state())
}

// journalSizes makes commits and returns the journal file's size after
// each, so a test can cut the file at any commit boundary.
func journalSizes(t *testing.T, td *testDir, w *workload, n int, grants func(i int) int) (string, []int64, []diskState) {
	t.Helper()
	segs := filesIn(t, td.path, "journal-")
	require.Len(t, segs, 1)
	file := filepath.Join(td.path, segs[0])
	sizes := []int64{0}
	states := []diskState{td.state()}
	for i := range n {
		td.commit(w, grants(i))
		fi, err := os.Stat(file)
		require.NoError(t, err)
		sizes = append(sizes, fi.Size())
		states = append(states, td.state())
	}
	return file, sizes, states
}

func TestJournal_OrphanPartsAreDropped(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{PartBytes: 64}
	td := openTestDir(t, path, opts)
	file, sizes, states := journalSizes(t, td, newWorkload(5), 3, func(i int) int { return 1 + 20*(i%2) })
	td.close()

	// Revision 2 is in parts: keep its parts but not its j: record.
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	jrec := []byte("*3\r\n$3\r\nset\r\n$22\r\nj:00000000000000000002")
	cut := int64(indexFrom(b, jrec, int(sizes[1])))
	require.Greater(t, cut, sizes[1], "revision 2 has part records")
	require.NoError(t, os.Truncate(file, cut))

	again := openTestDir(t, path, opts)
	assert.Equal(t, states[1], again.state())
	assert.Contains(t, again.logs.String(), "part records")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, sizes[1], fi.Size(), "the orphan parts are cut off")

	// The next commit takes revision 2 again, in a new segment.
	again.commit(newWorkload(6), 3)
	want := again.state()
	again.close()
	assert.Equal(t, want, openTestDir(t, path, opts).state())
}

func indexFrom(b, sub []byte, from int) int {
	for i := from; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}

// TestJournal_TruncatedAtEveryOffset cuts the journal at every byte of its
// last commits (the last one in part records): each open recovers exactly
// the whole commits before the cut.
func TestJournal_TruncatedAtEveryOffset(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{PartBytes: 64, Sync: disk.SyncNever}
	td := openTestDir(t, path, opts)
	w := newWorkload(7)
	file, sizes, states := journalSizes(t, td, w, 6, func(i int) int {
		if i == 5 {
			return 3 // the last commit is in part records
		}
		return 1
	})
	td.close()
	orig, err := os.ReadFile(file)
	require.NoError(t, err)

	dir := memTempDir(t)
	name := filepath.Join(dir, filepath.Base(file))
	for cut := sizes[len(sizes)-3]; cut <= sizes[len(sizes)-1]; cut++ {
		want := 0
		for i, sz := range sizes {
			if sz <= cut {
				want = i
			}
		}
		for _, f := range filesIn(t, dir, "") {
			require.NoError(t, os.Remove(filepath.Join(dir, f)))
		}
		require.NoError(t, os.WriteFile(name, orig[:cut], 0o644))
		got, err := tryOpenTestDir(t, dir, opts)
		require.NoError(t, err, "cut at %d", cut)
		require.Equal(t, states[want], got.state(), "cut at %d", cut)
		require.NoError(t, got.dir.Close())
	}
}

func TestJournal_ZeroPaddedTailIsRecoveredAndLogged(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	file, sizes, states := journalSizes(t, td, newWorkload(8), 4, func(int) int { return 2 })
	td.close()
	orig, err := os.ReadFile(file)
	require.NoError(t, err)

	cases := map[string]struct {
		bytes []byte
		want  int
	}{
		"zeros after the last record":    {append(append([]byte{}, orig...), make([]byte, 4096)...), 4},
		"zeros after a record cut short": {append(append([]byte{}, orig[:sizes[3]+30]...), make([]byte, 4096)...), 3},
		"a record's value zeroed":        {append(append([]byte{}, orig[:sizes[3]+60]...), make([]byte, int(sizes[4]-sizes[3]))...), 3},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, filepath.Base(file))
			require.NoError(t, os.WriteFile(f, c.bytes, 0o644))
			got := openTestDir(t, dir, disk.Options{})
			assert.Equal(t, states[c.want], got.state())
			assert.Contains(t, got.logs.String(), "crash tail")
			fi, err := os.Stat(f)
			require.NoError(t, err)
			assert.Equal(t, sizes[c.want], fi.Size())
		})
	}
}

func TestJournal_DamageInTheMiddleIsAnError(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	file, sizes, _ := journalSizes(t, td, newWorkload(9), 5, func(int) int { return 2 })
	td.close()
	orig, err := os.ReadFile(file)
	require.NoError(t, err)

	damage := map[string]func(b []byte){
		"a flipped byte in a value": func(b []byte) { b[sizes[1]+60] ^= 0x20 },
		"a flipped byte in framing": func(b []byte) { b[sizes[1]+1] ^= 0x01 },
		"garbage over a record":     func(b []byte) { copy(b[sizes[2]+5:], "garbage garbage garbage") },
		"zeros over a record":       func(b []byte) { copy(b[sizes[2]:], make([]byte, 40)) },
		"a record removed":          func(b []byte) { copy(b[sizes[1]:], b[sizes[2]:]) },
	}
	for name, hurt := range damage {
		t.Run(name, func(t *testing.T) {
			b := append([]byte{}, orig...)
			hurt(b)
			if name == "a record removed" {
				b = b[:len(b)-int(sizes[2]-sizes[1])]
			}
			dir := t.TempDir()
			f := filepath.Join(dir, filepath.Base(file))
			require.NoError(t, os.WriteFile(f, b, 0o644))
			_, err := tryOpenTestDir(t, dir, disk.Options{})
			require.Error(t, err)
			assert.ErrorIs(t, err, disk.ErrCorrupt)
			assert.Contains(t, err.Error(), f)
			assert.Contains(t, err.Error(), "revision")
		})
	}
}

func TestJournal_WriteFailureSticks(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	w := newWorkload(10)
	td.commit(w, 1)
	boom := errors.New("injected fsync failure")
	restore := disk.SetSyncHook(td.dir, func(*os.File) error { return boom })

	err := td.dir.Append(w.commit(t, td.store, 1), w.clock)
	require.ErrorIs(t, err, disk.ErrWriteFailed)
	assert.ErrorIs(t, err, boom)
	restore()
	err = td.dir.Append(w.commit(t, td.store, 1), w.clock)
	assert.ErrorIs(t, err, disk.ErrWriteFailed, "a failed journal stays failed")
	assert.ErrorIs(t, td.dir.Close(), disk.ErrWriteFailed)

	// The failed commit may or may not be there; the one before it is.
	again := openTestDir(t, path, disk.Options{})
	assert.Contains(t, []uint64{1, 2}, again.state().Revision)
}

func TestJournal_AMissingSegmentIsAnError(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{SegmentRecords: 2}
	td := openTestDir(t, path, opts)
	w := newWorkload(11)
	for range 10 {
		td.commit(w, 1)
	}
	td.close()
	segs := filesIn(t, path, "journal-")
	require.Greater(t, len(segs), 3)
	require.NoError(t, os.Remove(filepath.Join(path, segs[2])))

	_, err := tryOpenTestDir(t, path, opts)
	require.ErrorIs(t, err, disk.ErrCorrupt)
	assert.Contains(t, err.Error(), "missing")
	assert.Contains(t, err.Error(), segs[2], "the MANIFEST names the lost segment")
}

// TestJournal_AFailedChecksumAtTheEndIsCorruption flips a byte in the value
// of the last, whole record: that is damage after the write, not a torn
// write, so Load fails naming the file and revision, and leaves the file as
// it was; only CutCorruptTail cuts it, and says so.
func TestJournal_AFailedChecksumAtTheEndIsCorruption(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	file, sizes, states := journalSizes(t, td, newWorkload(12), 3, func(int) int { return 2 })
	td.close()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	b[len(b)-10] ^= 0x20 // inside the last record's value
	require.NoError(t, os.WriteFile(file, b, 0o644))

	_, err = tryOpenTestDir(t, path, disk.Options{})
	require.ErrorIs(t, err, disk.ErrCorrupt)
	assert.Contains(t, err.Error(), file)
	assert.Contains(t, err.Error(), "revision 3")
	after, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, b, after, "nothing is cut without the option")

	again := openTestDir(t, path, disk.Options{CutCorruptTail: true})
	assert.Equal(t, states[2], again.state())
	assert.Contains(t, again.logs.String(), "checksum fails")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, sizes[2], fi.Size())
}

func TestJournal_ADamagedKeyIsCorruption(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	file, sizes, _ := journalSizes(t, td, newWorkload(13), 3, func(int) int { return 1 })
	td.close()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	// The key of revision 2 starts after "*3\r\n$3\r\nset\r\n$22\r\n".
	at := int(sizes[1]) + len("*3\r\n$3\r\nset\r\n$22\r\n")
	require.Equal(t, byte('j'), b[at])
	b[at] = 'x'
	require.NoError(t, os.WriteFile(file, b, 0o644))

	_, err = tryOpenTestDir(t, path, disk.Options{})
	require.ErrorIs(t, err, disk.ErrCorrupt)
	assert.NotErrorIs(t, err, disk.ErrNotDatabase)
	assert.Contains(t, err.Error(), file)
}
