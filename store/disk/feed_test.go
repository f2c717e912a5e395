package disk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// Load hands every commit it reads to OnReplay, in order, with the time it
// was appended with; with KeepCommits a checkpoint keeps the segments of the
// newest commits, which Load hands over without replaying them.
func TestLoadReportsCommitsForAFeed(t *testing.T) {
	for _, tc := range []struct {
		keep     int
		reported []uint64
		segments []string
	}{
		{keep: 0, reported: nil, segments: []string{"journal-00000000000000000011.buntdb"}},
		{keep: 3, reported: []uint64{7, 8, 9, 10}, segments: []string{
			"journal-00000000000000000007.buntdb", "journal-00000000000000000009.buntdb", "journal-00000000000000000011.buntdb"}},
	} {
		t.Run("", func(t *testing.T) {
			path := t.TempDir()
			opts := disk.Options{SegmentRecords: 2, KeepCommits: tc.keep}
			td := openTestDir(t, path, opts)
			w := newWorkload(3)
			times := map[uint64]time.Time{}
			for range 10 {
				cs := td.commit(w, 1)
				times[cs.Revision] = w.clock
			}
			require.NoError(t, td.dir.Checkpoint(context.Background(), td.store.Snapshot()))
			want := td.state()
			td.close()
			assert.Equal(t, tc.segments, filesIn(t, path, "journal-"))

			var reported []uint64
			opts.OnReplay = func(cs store.ChangeSet, at time.Time) {
				reported = append(reported, cs.Revision)
				assert.True(t, times[cs.Revision].Equal(at), "revision %d at %v", cs.Revision, at)
			}
			again := openTestDir(t, path, opts)
			assert.Equal(t, tc.reported, reported)
			assert.Equal(t, want, again.state(), "kept commits are not replayed over the snapshot")
			again.commit(w, 1)
		})
	}
}
