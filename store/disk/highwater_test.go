package disk_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/store/disk"
)

// deleteNewestGrant commits the deletion of the grant with the greatest id,
// journals it, and returns that id.
func deleteNewestGrant(t *testing.T, td *testDir) string {
	t.Helper()
	tx := td.store.Write()
	defer tx.Abort()
	id := tx.MaxGrantID()
	require.NotEmpty(t, id)
	deleted := false
	for o := range 3 {
		if g, ok := tx.GrantByID(fmt.Sprintf("org_%d", o), id); ok {
			found, err := tx.DeleteGrant(g)
			require.NoError(t, err)
			deleted = found
		}
	}
	require.True(t, deleted)
	cs, _ := tx.Commit()
	require.NoError(t, td.dir.Append(cs, time.Time{}))
	return id
}

// A checkpoint replaces the journal that recorded a deleted grant's id: its
// snapshot must carry that id as the high-water.
func TestCheckpoint_KeepsTheHighWaterOfDeletedGrants(t *testing.T) {
	path := t.TempDir()
	opts := disk.Options{SegmentRecords: 2}
	td := openTestDir(t, path, opts)
	w := newWorkload(40)
	for range 6 {
		td.commit(w, 2)
	}
	gone := deleteNewestGrant(t, td)
	require.Less(t, td.store.Snapshot().Read().MaxGrantID(), gone)
	require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
	rev := td.store.Snapshot().Revision()
	for _, seg := range filesIn(t, path, "journal-") {
		assert.Greater(t, seg, fmt.Sprintf("journal-%020d", rev), "the journal that saw the id is gone")
	}
	td.close()

	again := openTestDir(t, path, opts)
	assert.Equal(t, gone, again.dir.GrantIDHighWater())
}

func TestSnapshot_WriteSnapshotDirWithHighWater(t *testing.T) {
	td := openTestDir(t, t.TempDir(), disk.Options{})
	w := newWorkload(41)
	for range 4 {
		td.commit(w, 2)
	}
	gone := deleteNewestGrant(t, td)
	snap := td.store.Snapshot()
	held := snap.Read().MaxGrantID()
	require.Less(t, held, gone)

	cases := []struct {
		name      string
		highWater string
		want      string
	}{
		{"none: the greatest id held", "", held},
		{"lower than held: the greatest id held", "agrant_0", held},
		{"higher than held: the given one", gone, gone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			copyPath := filepath.Join(t.TempDir(), "copy")
			require.NoError(t, disk.WriteSnapshotDirWithHighWater(context.Background(), snap, copyPath, tc.highWater))
			got := openTestDir(t, copyPath, disk.Options{})
			assert.Equal(t, tc.want, got.dir.GrantIDHighWater())
			assert.Equal(t, stateOf(t, snap), got.state())
		})
	}
}
