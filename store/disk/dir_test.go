package disk_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDir_LockRefusesASecondOpen(t *testing.T) {
	path := t.TempDir()
	d, err := disk.Open(path, disk.Options{})
	require.NoError(t, err)

	_, err = disk.Open(path, disk.Options{})
	assert.ErrorIs(t, err, disk.ErrLocked)
	assert.Contains(t, err.Error(), path)

	require.NoError(t, d.Close())
	again, err := disk.Open(path, disk.Options{})
	require.NoError(t, err, "closing releases the lock")
	require.NoError(t, again.Close())
}

func TestDir_CreatesAMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b")
	td := openTestDir(t, path, disk.Options{})
	td.commit(newWorkload(30), 1)
	assert.Equal(t, []string{"journal-00000000000000000001.buntdb"}, filesIn(t, path, "journal-"))
}

func TestDir_RefusesWhatIsNotOurs(t *testing.T) {
	cases := map[string]func(t *testing.T) string{
		"a file": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
			return p
		},
		"a directory of someone else's files": func(t *testing.T) string {
			p := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("x"), 0o644))
			return p
		},
		"a directory with a subdirectory": func(t *testing.T) string {
			p := t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(p, "snapshot-00000000000000000001.buntdb"), 0o755))
			return p
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			path := setup(t)
			_, err := tryOpenTestDir(t, path, disk.Options{})
			require.Error(t, err)
			assert.ErrorIs(t, err, disk.ErrNotDatabase)
			assert.Contains(t, err.Error(), path)
		})
	}
	t.Run("no LOCK is left in a foreign directory", func(t *testing.T) {
		p := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("x"), 0o644))
		_, err := disk.Open(p, disk.Options{})
		require.Error(t, err)
		assert.Equal(t, []string{"notes.txt"}, filesIn(t, p, ""))
	})
}

func TestDir_RemovesTemporaryFiles(t *testing.T) {
	path := t.TempDir()
	tmp := filepath.Join(path, "snapshot-00000000000000000003.buntdb.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte("half a snapshot"), 0o644))
	td := openTestDir(t, path, disk.Options{})
	assert.NoFileExists(t, tmp)
	assert.Zero(t, td.state().Revision)
}

func TestDir_LoadIsOnceAndIntoANewStore(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	s, err := store.New()
	require.NoError(t, err)
	_, err = td.dir.Load(s)
	assert.Error(t, err)
}

// TestDir_AJournalWithForeignKeysIsCorrupt: a file named as our journal and
// framed as a buntdb file, whose keys are not ours, is a damaged file of
// ours (ErrCorrupt naming it), not a foreign directory.
func TestDir_AJournalWithForeignKeysIsCorrupt(t *testing.T) {
	p := t.TempDir()
	rec := "*3\r\n$3\r\nset\r\n$6\r\nuser:1\r\n$3\r\nann\r\n"
	file := filepath.Join(p, "journal-00000000000000000001.buntdb")
	require.NoError(t, os.WriteFile(file, []byte(rec), 0o644))
	_, err := tryOpenTestDir(t, p, disk.Options{})
	require.ErrorIs(t, err, disk.ErrCorrupt)
	assert.Contains(t, err.Error(), file)
}
