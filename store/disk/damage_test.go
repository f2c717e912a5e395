package disk_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDamageOfEveryFile damages each file of a database directory (the
// snapshot, each journal segment, the MANIFEST and LOCK) in every way the
// test knows: deleted, truncated at several offsets, a byte flipped in each
// record, renamed. Each Open either returns every acknowledged commit, or
// fails with a clear error naming a file, or — only for damage to the
// newest segment that looks like a write torn by a crash (a record cut
// short, a length that runs past the end) — returns a prefix of the commits
// and logs the cut naming the file. It never returns fewer commits in
// silence. (Truncating the newest segment exactly at a record boundary is
// not tried: that is the directory of a crash before those commits, which
// no file can tell apart.)
func TestDamageOfEveryFile(t *testing.T) {
	src := t.TempDir()
	opts := disk.Options{SegmentRecords: 2, PartBytes: 128, Sync: disk.SyncNever}
	td := openTestDir(t, src, opts)
	w := newWorkload(21)
	states := []diskState{td.state()}
	for i := range 9 {
		td.commit(w, 1+(i%3)*4)
		states = append(states, td.state())
		if i == 3 {
			require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
		}
	}
	td.close()
	final := states[len(states)-1]
	files := filesIn(t, src, "")
	segs := filesIn(t, src, "journal-")
	require.Len(t, filesIn(t, src, "snapshot-"), 1)
	require.GreaterOrEqual(t, len(segs), 3)
	require.Contains(t, files, "MANIFEST")
	require.Contains(t, files, "LOCK")
	newest := segs[len(segs)-1]

	type damage struct {
		name string
		hurt func(t *testing.T, dir string) // damages dir's copy of the file
	}
	tried := 0
	for _, file := range files {
		orig, err := os.ReadFile(filepath.Join(src, file))
		require.NoError(t, err)
		damages := []damage{
			{"deleted", func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, file))) }},
			{"renamed", func(t *testing.T, dir string) {
				require.NoError(t, os.Rename(filepath.Join(dir, file), filepath.Join(dir, renamed(file))))
			}},
		}
		for _, cut := range []int{1, len(orig) / 3, len(orig) / 2, len(orig) - 1} {
			if cut <= 0 || cut >= len(orig) {
				continue
			}
			damages = append(damages, damage{fmt.Sprintf("truncated at %d", cut), func(t *testing.T, dir string) {
				require.NoError(t, os.Truncate(filepath.Join(dir, file), int64(cut)))
			}})
		}
		for i, at := range recordOffsets(orig) {
			for _, where := range []struct {
				name string
				off  int
			}{{"framing", at.start + 1}, {"key", at.key}, {"value", at.end - 4}} {
				damages = append(damages, damage{fmt.Sprintf("record %d: byte flipped in its %s", i, where.name), func(t *testing.T, dir string) {
					b := append([]byte{}, orig...)
					b[where.off] ^= 0x04
					require.NoError(t, os.WriteFile(filepath.Join(dir, file), b, 0o644))
				}})
			}
		}
		for _, d := range damages {
			tried++
			t.Run(file+"/"+d.name, func(t *testing.T) {
				dir := copyDir(t, src)
				d.hurt(t, dir)
				got, err := tryOpenTestDir(t, dir, opts)
				if err != nil {
					assert.True(t, errors.Is(err, disk.ErrCorrupt) || errors.Is(err, disk.ErrNotDatabase) ||
						errors.Is(err, disk.ErrUnsupportedFormat), "a clear error: %v", err)
					assert.True(t, strings.Contains(err.Error(), "journal-") || strings.Contains(err.Error(), "snapshot-") ||
						strings.Contains(err.Error(), "MANIFEST") || strings.Contains(err.Error(), "LOCK"),
						"the error names a file: %v", err)
					return
				}
				st := got.state()
				if st.Revision == final.Revision {
					assert.Equal(t, final, st, "every commit, whole")
					return
				}
				require.Equal(t, newest, file, "fewer commits (%d of %d) after damage to another file than the newest segment",
					st.Revision, final.Revision)
				assert.Equal(t, states[st.Revision], st, "a prefix of whole commits")
				assert.Contains(t, got.logs.String(), newest, "the cut is logged, naming the file")
			})
		}
	}
	assert.Greater(t, tried, 50)
}

// renamed is file's name changed as an operator might: another revision
// for a snapshot or segment, a suffix for the others.
func renamed(file string) string {
	if i := strings.LastIndexByte(file, '-'); i >= 0 && strings.HasSuffix(file, ".buntdb") {
		return file[:i+1] + "00000000000000000099.buntdb"
	}
	return file + ".old"
}

// recordAt is where a set command of a file starts, where its key starts,
// and where it ends.
type recordAt struct{ start, key, end int }

// recordOffsets finds the set commands of a buntdb file by their framing.
func recordOffsets(b []byte) []recordAt {
	var out []recordAt
	const head = "*3\r\n$3\r\nset\r\n$"
	for off := 0; off < len(b); {
		i := strings.Index(string(b[off:]), head)
		if i < 0 {
			break
		}
		start := off + i
		p := start + len(head)
		klen := 0
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			klen = klen*10 + int(b[p]-'0')
			p++
		}
		key := p + 2
		p = key + klen + 2 + 1 // key, \r\n, $
		vlen := 0
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			vlen = vlen*10 + int(b[p]-'0')
			p++
		}
		end := p + 2 + vlen + 2
		if end > len(b) {
			break
		}
		out = append(out, recordAt{start: start, key: key, end: end})
		off = end
	}
	return out
}
