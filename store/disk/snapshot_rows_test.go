package disk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// Load hands the snapshot's rows, as the store keeps them, to OnSnapshot,
// and the commits after the snapshot to OnReplay; without a snapshot,
// OnSnapshot is not called.
func TestLoadHandsTheSnapshotRowsToOnSnapshot(t *testing.T) {
	path := t.TempDir()
	td := openTestDir(t, path, disk.Options{})
	w := newWorkload(41)
	for range 4 {
		td.commit(w, 3)
	}
	calls := 0
	journalOnly := disk.Options{OnSnapshot: func(store.ChangeSet) { calls++ }}
	td.close()
	openTestDir(t, path, journalOnly).close()
	assert.Zero(t, calls, "no snapshot, no rows")

	td = openTestDir(t, path, disk.Options{})
	require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
	inSnapshot := 0
	require.NoError(t, td.store.Snapshot().Read().EachGrant(func(*model.Grant) bool { inSnapshot++; return true }))
	td.commit(w, 2)
	td.close()

	var rows store.ChangeSet
	var replayed []uint64
	openTestDir(t, path, disk.Options{
		OnSnapshot: func(cs store.ChangeSet) { calls++; rows = cs },
		OnReplay:   func(cs store.ChangeSet, _ time.Time) { replayed = append(replayed, cs.Revision) },
	})
	assert.Equal(t, 1, calls)
	assert.Equal(t, uint64(4), rows.Revision, "the snapshot's revision")
	assert.Equal(t, []uint64{5}, replayed, "the commit after the snapshot")
	require.Len(t, rows.Grants, inSnapshot, "the snapshot's grants")
	for _, gc := range rows.Grants {
		assert.NotEmpty(t, gc.Grant.ID)
	}
}
