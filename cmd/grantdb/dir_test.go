package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatsCountsAndListsFiles(t *testing.T) {
	dir := sampleDB(t)
	out := ok(t, "", "stats", "--data", dir)
	for _, want := range []string{
		"organisations  2\n", "grants         4\n", "memberships    3\n",
		"snapshot       none yet", "journal        2 segment(s), from revision 1",
		"links          0\n",
		"org_acme       3            3      0", "org_globex       1            0      0",
		"journal-00000000000000000001.buntdb",
	} {
		assert.Contains(t, out, want)
	}

	var v struct {
		Orgs  int `json:"organizations"`
		Files []struct {
			Name, Kind string
			Revision   uint64
		} `json:"files"`
		Snapshot *uint64 `json:"snapshot_revision"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, "", "stats", "--data", dir, "--json")), &v))
	assert.Equal(t, 2, v.Orgs)
	assert.Nil(t, v.Snapshot)
	kinds := map[string]string{}
	for _, f := range v.Files {
		kinds[f.Name] = f.Kind
	}
	assert.Equal(t, "journal", kinds["journal-00000000000000000001.buntdb"])
	assert.Equal(t, "lock", kinds["LOCK"])
}

func TestSnapshotCopiesTheDatabase(t *testing.T) {
	dir := sampleDB(t)
	dest := filepath.Join(t.TempDir(), "backup")
	assert.Contains(t, ok(t, "", "snapshot", "--data", dir, dest), "written to "+dest)
	assert.Equal(t, ok(t, "", "export", "--data", dir), ok(t, "", "export", "--data", dest), "ids and all")

	out := ok(t, "", "stats", "--data", dest)
	assert.Contains(t, out, "snapshot       revision ")
	assert.Contains(t, out, "grants         4\n")

	r := grantdb(t, "", "snapshot", "--data", dir, dest)
	assert.Equal(t, 2, r.code, "the destination must be missing or empty")
}

func TestVerifySaysWhatOpenWouldDo(t *testing.T) {
	lastJournal := func(t *testing.T, dir string) string {
		names, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
		require.NoError(t, err)
		require.NotEmpty(t, names)
		return names[len(names)-1]
	}
	firstJournal := func(t *testing.T, dir string) string {
		names, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
		require.NoError(t, err)
		return names[0]
	}
	for _, c := range []struct {
		name    string
		damage  func(t *testing.T, dir string)
		code    int
		outcome string
		want    string
	}{
		{"clean", func(*testing.T, string) {}, 0, "clean", "clean: "},
		{"crash tail cut short", func(t *testing.T, dir string) {
			p := lastJournal(t, dir)
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, fi.Size()-5))
		}, 1, "recovered", "cutting the crash tail off the journal"},
		{"zero-padded tail", func(t *testing.T, dir string) {
			f, err := os.OpenFile(lastJournal(t, dir), os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write(make([]byte, 16))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, 1, "recovered", "a zero-padded tail"},
		{"corrupt record before the tail", func(t *testing.T, dir string) {
			p := firstJournal(t, dir)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[40] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, 1, "refused", "refused (corrupt): "},
		{"newest segment deleted", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(lastJournal(t, dir)))
		}, 1, "refused", "refused (corrupt): "},
		{"newest segment renamed to another revision", func(t *testing.T, dir string) {
			p := lastJournal(t, dir)
			require.NoError(t, os.Rename(p, filepath.Join(dir, "journal-00000000000000000099.buntdb")))
		}, 1, "refused", "refused (corrupt): "},
		{"a flipped byte in the last whole record", func(t *testing.T, dir string) {
			p := lastJournal(t, dir)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)-3] ^= 0x01 // inside the value, before its closing CRLF
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, 1, "refused", "refused (corrupt): "},
		{"a stranger's file", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o644))
		}, 1, "refused", "refused (not_database): "},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := sampleDB(t)
			// A second commit, so that the journal has a segment after the first.
			ok(t, sampleLine, "import", "--data", dir, "-")
			c.damage(t, dir)
			files := snapshotFiles(t, dir)

			r := grantdb(t, "", "verify", "--data", dir)
			assert.Equal(t, c.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, c.want)
			assert.NotContains(t, r.stdout, os.TempDir()+string(filepath.Separator)+"grantdb-verify-", "names DIR, not the scratch copy")
			assert.Equal(t, files, snapshotFiles(t, dir), "verify leaves DIR as it was")

			var v struct{ Outcome, Class string }
			r = grantdb(t, "", "verify", "--data", dir, "--json")
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
			assert.Equal(t, c.outcome, v.Outcome)
		})
	}
}

// snapshotFiles reads every file of dir.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// verify shows the progress of its copy of DIR, by bytes, as plain lines off
// a terminal.
func TestVerifyShowsItsProgress(t *testing.T) {
	dir := sampleDB(t)
	var size int64
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		size += info.Size()
	}
	r := grantdb(t, "", "verify", "--data", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, fmt.Sprintf("copy: %d/%d B (100%%)", size, size))
	assert.NotContains(t, r.stderr, "\r")
}
