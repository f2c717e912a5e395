package disk_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/buntdb"
)

func TestSnapshot_WriteAndLoad(t *testing.T) {
	defer disk.SetSnapRowsPerRecord(7)() // many records of each table
	td := openTestDir(t, t.TempDir(), disk.Options{})
	w := newWorkload(20)
	for i := range 30 {
		td.commit(w, 1+i%5)
	}
	want := td.state()
	require.NotEmpty(t, want.Memberships)
	require.NotEmpty(t, want.Jobs)

	copyPath := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, disk.WriteSnapshotDir(context.Background(), td.store.Snapshot(), copyPath))
	assert.Equal(t, []string{"snapshot-00000000000000000030.buntdb"}, filesIn(t, copyPath, "snapshot-"))

	got := openTestDir(t, copyPath, disk.Options{})
	assert.Equal(t, want, got.state())
	assert.Equal(t, td.dir.GrantIDHighWater(), got.dir.GrantIDHighWater())
}

func TestSnapshot_IsPointInTime(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	w := newWorkload(21)
	for range 10 {
		td.commit(w, 3)
	}
	snap := td.store.Snapshot()
	want := stateOf(t, snap)
	for range 5 {
		td.commit(w, 3) // after the snapshot was taken, before it is written
	}
	copyPath := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, disk.WriteSnapshotDir(context.Background(), snap, copyPath))
	got := openTestDir(t, copyPath, disk.Options{})
	assert.Equal(t, want, got.state())
	assert.NotEqual(t, td.state(), got.state())
}

func TestSnapshot_IsABuntDBFile(t *testing.T) {
	defer disk.SetSnapRowsPerRecord(2)()
	td := openTestDir(t, t.TempDir(), disk.Options{})
	td.commit(newWorkload(22), 5)
	copyPath := t.TempDir()
	require.NoError(t, disk.WriteSnapshotDir(context.Background(), td.store.Snapshot(), copyPath))

	db, err := buntdb.Open(filepath.Join(copyPath, "snapshot-00000000000000000001.buntdb"))
	require.NoError(t, err)
	defer db.Close()
	n := 0
	require.NoError(t, db.View(func(tx *buntdb.Tx) error {
		var err error
		n, err = tx.Len()
		return err
	}))
	assert.GreaterOrEqual(t, n, 5) // header, trailer and at least three grant records
}

func TestSnapshot_WriteSnapshotDirRefusesANonEmptyDirectory(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	td.commit(newWorkload(23), 1)
	assert.Error(t, disk.WriteSnapshotDir(context.Background(), td.store.Snapshot(), td.path))
}

func TestSnapshot_CancelledWriteLeavesNothing(t *testing.T) {
	defer disk.SetSnapRowsPerRecord(1)()
	td := openTestDir(t, t.TempDir(), disk.Options{})
	td.commit(newWorkload(24), 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	copyPath := t.TempDir()
	assert.ErrorIs(t, disk.WriteSnapshotDir(ctx, td.store.Snapshot(), copyPath), context.Canceled)
	assert.Empty(t, filesIn(t, copyPath, "snapshot-"))
}

func TestSnapshot_BadFilesAreClearErrors(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	td.commit(newWorkload(25), 40)
	good := t.TempDir()
	require.NoError(t, disk.WriteSnapshotDir(context.Background(), td.store.Snapshot(), good))
	name := "snapshot-00000000000000000001.buntdb"
	orig, err := os.ReadFile(filepath.Join(good, name))
	require.NoError(t, err)

	foreignBunt := func(t *testing.T, path string) {
		db, err := buntdb.Open(path)
		require.NoError(t, err)
		require.NoError(t, db.Update(func(tx *buntdb.Tx) error {
			_, _, err := tx.Set("user:1", "ann", nil)
			return err
		}))
		require.NoError(t, db.Close())
	}
	cases := map[string]struct {
		write func(t *testing.T, path string)
		want  error
	}{
		"text":           {func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, []byte("hello\n"), 0o644)) }, disk.ErrNotDatabase},
		"someone's bunt": {foreignBunt, disk.ErrNotDatabase},
		"newer version": {func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, disk.SnapshotWithVersion(t, orig, disk.FormatVersion+1), 0o644))
		}, disk.ErrUnsupportedFormat},
		"cut short": {func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, orig[:len(orig)-40], 0o644)) }, disk.ErrCorrupt},
		"flipped byte": {func(t *testing.T, p string) {
			b := append([]byte{}, orig...)
			b[len(b)/2] ^= 1
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, disk.ErrCorrupt},
		"empty": {func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, nil, 0o644)) }, disk.ErrNotDatabase},
	}
	for label, c := range cases {
		t.Run(label, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			c.write(t, path)
			_, err := tryOpenTestDir(t, dir, disk.Options{})
			require.Error(t, err)
			assert.ErrorIs(t, err, c.want)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestCheckpoint_DropsCoveredSegments(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{SegmentRecords: 3}
	td := openTestDir(t, path, opts)
	w := newWorkload(26)
	for range 20 {
		td.commit(w, 2)
	}
	require.Greater(t, len(filesIn(t, path, "journal-")), 5)
	commits, bytes := td.dir.SinceCheckpoint()
	assert.Equal(t, 20, commits)
	assert.Positive(t, bytes)

	mid := td.store.Snapshot() // revision 20
	for range 4 {
		td.commit(w, 2) // while the checkpoint of revision 20 is pending
	}
	require.NoError(t, td.dir.Checkpoint(context.Background(), mid))
	assert.Equal(t, []string{"snapshot-00000000000000000020.buntdb"}, filesIn(t, path, "snapshot-"))
	for _, seg := range filesIn(t, path, "journal-") {
		assert.GreaterOrEqual(t, seg, "journal-00000000000000000019", "segments holding only revisions up to 20 are gone")
	}

	require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
	assert.Equal(t, []string{"snapshot-00000000000000000024.buntdb"}, filesIn(t, path, "snapshot-"))
	assert.Equal(t, []string{"journal-00000000000000000025.buntdb"}, filesIn(t, path, "journal-"))
	commits, _ = td.dir.SinceCheckpoint()
	assert.Zero(t, commits)

	for range 3 {
		td.commit(w, 2)
	}
	want := td.state()
	td.close()
	assert.Equal(t, want, openTestDir(t, path, opts).state())
}

func TestCheckpoint_InterruptedLeavesALoadableDirectory(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{SegmentRecords: 2}
	td := openTestDir(t, path, opts)
	w := newWorkload(27)
	for range 9 {
		td.commit(w, 2)
	}
	before := copyDir(t, path) // the files as they were before the checkpoint
	require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
	td.commit(w, 1)
	want := td.state()
	td.close()

	// A crash after the snapshot was renamed in, before anything was
	// deleted: the old segments and the new snapshot are both there.
	crashed := copyDir(t, path)
	for _, seg := range filesIn(t, before, "journal-") {
		b, err := os.ReadFile(filepath.Join(before, seg))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(crashed, seg), b, 0o644))
	}
	// And the temporary file of a later checkpoint that never finished.
	require.NoError(t, os.WriteFile(filepath.Join(crashed, "snapshot-00000000000000000010.buntdb.tmp"), []byte("*3\r\n"), 0o644))
	got := openTestDir(t, crashed, opts)
	assert.Equal(t, want, got.state())
	assert.Empty(t, filesIn(t, crashed, "snapshot-00000000000000000010"))
}
