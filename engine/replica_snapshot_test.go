package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// publishedAndTrimmed returns a log with 10 records, a snapshot at the 10th,
// records 1 to 8 trimmed, and 3 records more, and the replica that wrote
// them.
func publishedAndTrimmed(t *testing.T) (*memSnapshotLog, *engine.Engine) {
	t.Helper()
	l := newMemSnapshotLog()
	writer := openOn(t, l)
	createGrants(t, writer, "a", 10)
	info, err := writer.PublishSnapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, engine.SnapshotInfo{Seq: 10, Revision: 10}, info)
	l.trim(8)
	createGrants(t, writer, "b", 3)
	return l, writer
}

func TestReplicaJoinsFromTheNewestSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  bool
	}{{"no directory", false}, {"an empty directory", true}} {
		t.Run(tc.name, func(t *testing.T) {
			l, writer := publishedAndTrimmed(t)
			opts := []engine.Option{engine.WithLog(l), engine.WithSweepInterval(0)}
			dir := t.TempDir()
			if tc.dir {
				opts = append(opts, engine.WithPath(dir))
			}
			r, err := engine.Open(opts...)
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, writer.Revision(), r.Revision())
			assert.Equal(t, grantsOf(t, writer), grantsOf(t, r))
			g, err := r.CreateGrant(context.Background(), "org_1", grantIn("c", "alice"))
			require.NoError(t, err, "it appends after the log's last record")
			waitFor(t, writer, r.Revision())
			assert.NotEqual(t, grantsOf(t, writer)[0].ID, g.ID)
			if !tc.dir {
				return
			}
			// The directory holds the snapshot and the records after it.
			require.NoError(t, r.Close())
			alone, err := engine.Open(engine.WithPath(dir), engine.WithSweepInterval(0))
			require.NoError(t, err)
			defer alone.Close()
			assert.Equal(t, writer.Revision(), alone.Revision())
		})
	}
}

func TestReplicaBehindATrimmedLogLoadsTheSnapshot(t *testing.T) {
	l := newMemSnapshotLog()
	writer := openOn(t, l)
	dir := closedCopy(t, l, writer, 3)
	createGrants(t, writer, "b", 7)
	_, err := writer.PublishSnapshot(context.Background())
	require.NoError(t, err)
	l.trim(9) // the copy is at 3: records 4 to 9 are gone
	createGrants(t, writer, "c", 2)

	r := openDurableOn(t, l, dir)
	assert.Equal(t, writer.Revision(), r.Revision())
	assert.Equal(t, grantsOf(t, writer), grantsOf(t, r))
}

func TestReplicaStartsFromTheLogWhenNoSnapshotIsNewer(t *testing.T) {
	l := newMemSnapshotLog()
	writer := openOn(t, l)
	createGrants(t, writer, "a", 4)
	r := openOn(t, l)
	assert.Equal(t, writer.Revision(), r.Revision())
	info, err := r.PublishSnapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, engine.SnapshotInfo{Seq: 4, Revision: 4}, info)
	again, err := writer.PublishSnapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, info, again, "a snapshot as new is stored already")
	_, puts := l.latest()
	assert.Equal(t, 1, puts)
}

func TestPublishSnapshotNeedsASnapshotStore(t *testing.T) {
	for name, e := range map[string]*engine.Engine{"standalone": openAlone(t), "a log without snapshots": openOn(t, newMemLog())} {
		_, err := e.PublishSnapshot(context.Background())
		assert.ErrorIs(t, err, model.ErrValidation, name)
	}
}

func TestReplicaCheckpointPublishesASnapshot(t *testing.T) {
	l := newMemSnapshotLog()
	r := openDurableOn(t, l, t.TempDir(), engine.WithCheckpointEvery(5, 0))
	createGrants(t, r, "a", 6)
	require.Eventually(t, func() bool {
		info, _ := l.latest()
		return info.Seq >= 5
	}, 10*time.Second, 10*time.Millisecond)
	info, _ := l.latest()
	assert.Equal(t, info.Seq, info.Revision)

	fresh := openOn(t, l)
	assert.Equal(t, r.Revision(), fresh.Revision())
}

func openAlone(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open()
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}
