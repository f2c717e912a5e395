package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The index Open builds from a snapshot's rows, while the store indexes
// them, and then brings up to date with the journal's commits after the
// snapshot, answers as the engine that wrote them did.
func TestReopenOfSnapshotAndJournalAnswersAlike(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(t0)
	first := openDurable(t, t.TempDir(), clock)
	fillEverything(t, first)
	require.NoError(t, first.LinkEntities(ctx, testOrg, model.EntityLink{Child: doc("d1"), Parent: folder("f1")}))
	dir := filepath.Join(t.TempDir(), "db")
	require.NoError(t, first.Snapshot(ctx, dir))
	require.NoError(t, first.Close())

	// Commits after the snapshot, in the journal only: grants on a linked
	// folder, a revoke, memberships and links both added and removed.
	e := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 0))
	in := grantInput("x", "erin")
	in.Entity, in.Level = folder("f1"), model.LevelAdmin
	mustCreate(t, e, testOrg, in)
	in = grantInput("x", "x")
	in.Entity, in.Grantee = folder("f1"), model.Department("rnd")
	mustCreate(t, e, testOrg, in)
	g := listAll(t, e, testOrg, model.GrantQuery{Entity: doc("d3")})
	require.NotEmpty(t, g)
	require.NoError(t, e.RevokeGrant(ctx, testOrg, g[0].ID))
	require.NoError(t, e.AddMembers(ctx, testOrg, model.Membership{Member: model.User("erin"), Group: model.Department("eng")}))
	require.NoError(t, e.RemoveMembers(ctx, testOrg, model.Membership{Member: model.User("bob"), Group: model.Role("senior")}))
	require.NoError(t, e.LinkEntities(ctx, testOrg, model.EntityLink{Child: doc("d2"), Parent: folder("f1")}))
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, model.EntityLink{Child: doc("d1"), Parent: folder("f1")}))
	before := captureState(t, e)
	require.NoError(t, e.Close())

	again := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 0))
	assert.Equal(t, before, captureState(t, again))
}
