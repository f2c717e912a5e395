package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// fillFeed writes commits of every kind the feed shows, in two
// organisations, each at its own time: grants created, updated, revoked and
// written over an ended one of another id, memberships and links added and
// removed.
func fillFeed(t *testing.T, e *engine.Engine, clock *fakeClock) {
	ctx := context.Background()
	tick := func() { clock.Advance(time.Minute) }
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	tick()
	mustCreate(t, e, otherOrg, grantInput("d1", "bob"))
	tick()
	_, err := e.UpdateGrant(ctx, testOrg, g.ID, model.LevelAdmin)
	require.NoError(t, err)
	tick()
	m := membership(model.User("alice"), model.Department("eng"))
	require.NoError(t, e.AddMembers(ctx, testOrg, m))
	tick()
	l := model.EntityLink{Child: doc("d1"), Parent: folder("f1")}
	require.NoError(t, e.LinkEntities(ctx, testOrg, l))
	require.NoError(t, e.LinkEntities(ctx, otherOrg, l))
	tick()
	ending := grantInput("d2", "carol")
	ending.EffectiveTo = clock.Now().Add(time.Minute)
	mustCreate(t, e, testOrg, ending)
	clock.Advance(time.Hour)
	mustCreate(t, e, testOrg, grantInput("d2", "carol")) // over the ended one, not swept yet
	tick()
	deny := grantInput("d1", "dave")
	deny.Effect = model.EffectDeny
	mustCreate(t, e, testOrg, deny)
	tick()
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, l))
	require.NoError(t, e.RemoveMembers(ctx, testOrg, m))
	require.NoError(t, e.RevokeGrant(ctx, testOrg, g.ID))
}

// A reopened engine serves the feed of the commits in its journal, as the
// engine that made them did: the same changes at the same times, each
// organisation's own only, and then goes on with new commits.
func TestReopenServesTheFeed(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithSweepInterval(0))
	fillFeed(t, e, clock)
	feeds := map[string][]model.Change{}
	for _, org := range stateOrgs {
		feeds[org] = changesAfter(t, e, org, 0)
		require.NotEmpty(t, feeds[org])
	}
	rev := e.Revision()
	require.NoError(t, e.Close())

	again := openDurable(t, dir, clock, engine.WithSweepInterval(0))
	for _, org := range stateOrgs {
		got := changesAfter(t, again, org, 0)
		assert.Equal(t, feeds[org], got, "%s: the feed from the journal", org)
		for _, ch := range got {
			for _, g := range ch.Grants {
				assert.Equal(t, org, g.Grant.Org, "revision %d: another organisation's grant", ch.Revision)
			}
		}
		half := len(feeds[org]) / 2
		mid := feeds[org][half-1].Revision
		assert.Equal(t, feeds[org][half:], changesAfter(t, again, org, mid), "%s: after revision %d", org, mid)
	}
	assert.NotContains(t, revisionsOf(feeds[otherOrg]), feeds[testOrg][0].Revision, "org isolation")

	clock.Advance(time.Minute)
	g := mustCreate(t, again, testOrg, grantInput("d9", "erin"))
	got := changesAfter(t, again, testOrg, rev)
	require.Len(t, got, 1)
	assert.Equal(t, model.Change{Revision: rev + 1, At: clock.Now().UTC(), Grants: []model.GrantChange{write(g)}}, got[0])
	assert.Empty(t, changesAfter(t, again, otherOrg, rev))

	// Watch yields the replayed commits first.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watched []uint64
	for ch, err := range again.Watch(ctx, otherOrg, 0) {
		require.NoError(t, err)
		watched = append(watched, ch.Revision)
		if len(watched) == len(feeds[otherOrg]) {
			break
		}
	}
	assert.Equal(t, revisionsOf(feeds[otherOrg]), watched)
}

// The reopened window keeps the last retention commits of the journal: a
// read that would miss an older one is ErrCompacted.
func TestReopenFeedKeepsTheRetention(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithChangeRetention(3))
	for i := range 6 {
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "alice")) // revisions 1..6
	}
	require.NoError(t, e.Close())

	again := openDurable(t, dir, clock, engine.WithChangeRetention(3))
	_, err := again.Changes(context.Background(), testOrg, 2, 0)
	requireModelError(t, err, model.ErrCompacted, "")
	assert.Equal(t, []uint64{4, 5, 6}, revisionsOf(changesAfter(t, again, testOrg, 3)))
	got, err := again.Changes(context.Background(), otherOrg, 0, 0)
	require.NoError(t, err, "nothing of the other organisation was lost")
	assert.Empty(t, got)
}

// Checkpoints keep the journal of the last retention commits: a reopened
// engine serves them though a snapshot covers them, and drops what is older.
func TestReopenFeedSurvivesCheckpoints(t *testing.T) {
	for _, retention := range []int{0, 3} {
		t.Run(strconv.Itoa(retention), func(t *testing.T) {
			dir := t.TempDir()
			clock := newFakeClock(t0)
			opts := []engine.Option{engine.WithCheckpointEvery(4, 0)}
			if retention > 0 {
				opts = append(opts, engine.WithChangeRetention(retention))
			}
			e := openDurable(t, dir, clock, opts...)
			for i := range 10 {
				clock.Advance(time.Second)
				mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "alice"))
				// Each checkpoint finishes before the next commit, so that
				// the files below do not depend on the scheduler.
				engine.WaitCheckpoint(e)
			}
			from := uint64(0) // what the window holds
			if retention > 0 {
				from = uint64(10 - retention)
			}
			feed := changesAfter(t, e, testOrg, from)
			require.Len(t, feed, 10-int(from))
			require.NoError(t, e.Close())
			snaps, err := filepath.Glob(filepath.Join(dir, "snapshot-*.buntdb"))
			require.NoError(t, err)
			require.Len(t, snaps, 1, "a checkpoint was taken")
			require.NotContains(t, snaps[0], "snapshot-00000000000000000000.")

			again := openDurable(t, dir, clock, opts...)
			assert.Equal(t, feed, changesAfter(t, again, testOrg, from), "the feed the engine served before Close")
			if retention == 0 {
				return
			}
			_, err = again.Changes(context.Background(), testOrg, from-1, 0)
			requireModelError(t, err, model.ErrCompacted, "")
			segs, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
			require.NoError(t, err)
			assert.NotContains(t, segs, filepath.Join(dir, "journal-00000000000000000001.buntdb"),
				"the segment of commits older than the retention is dropped")
		})
	}
}

// A grant created over an ended one of another id that was not swept yet
// shows in the feed as the old id's delete then the new write, and still
// does after a reopen when checkpoints have put that commit before the
// snapshot (kept in the journal for the feed only, never replayed).
func TestReopenFeedKeepsTheDeleteOfAReplacedGrant(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	opts := []engine.Option{engine.WithCheckpointEvery(4, 0), engine.WithSweepInterval(0)}
	e := openDurable(t, dir, clock, opts...)
	ending := grantInput("d1", "alice")
	ending.EffectiveTo = clock.Now().Add(time.Minute)
	old := mustCreate(t, e, testOrg, ending)
	clock.Advance(time.Hour)
	renewed := mustCreate(t, e, testOrg, grantInput("d1", "alice")) // over the ended one, not swept yet
	require.NotEqual(t, old.ID, renewed.ID)
	at := e.Revision()
	for i := range 8 {
		clock.Advance(time.Second)
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i+2), "bob"))
		engine.WaitCheckpoint(e)
	}
	want := []model.GrantChange{{Op: model.ChangeDelete, Grant: old}, {Op: model.ChangeWrite, Grant: renewed}}
	before := changesAfter(t, e, testOrg, at-1)
	require.NotEmpty(t, before)
	require.Equal(t, at, before[0].Revision)
	require.Equal(t, want, before[0].Grants, "the live feed")
	require.NoError(t, e.Close())
	snaps, err := filepath.Glob(filepath.Join(dir, "snapshot-*.buntdb"))
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	require.Greater(t, filepath.Base(snaps[0]), fmt.Sprintf("snapshot-%020d.buntdb", at), "the snapshot covers the replacing commit")

	again := openDurable(t, dir, clock, opts...)
	got := changesAfter(t, again, testOrg, at-1)
	require.NotEmpty(t, got)
	assert.Equal(t, at, got[0].Revision)
	assert.Equal(t, want, got[0].Grants, "the old id's delete, then the write")
	assert.Equal(t, before, got)
}
