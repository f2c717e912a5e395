package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// fillDenyAndLinks writes what format 3 added: denies (one created, one
// from a job's ACL), entity links (one removed again), grants on folders
// that reach documents through them.
func fillDenyAndLinks(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	require.NoError(t, e.LinkEntities(ctx, testOrg,
		model.EntityLink{Child: doc("d1"), Parent: folder("f1")},
		model.EntityLink{Child: doc("d2"), Parent: folder("f1")},
		model.EntityLink{Child: folder("f1"), Parent: folder("root")},
	))
	require.NoError(t, e.LinkEntities(ctx, otherOrg, model.EntityLink{Child: doc("d1"), Parent: folder("f1")}))
	in := grantInput("root", "alice")
	in.Entity, in.Level = folder("root"), model.LevelAdmin
	mustCreate(t, e, testOrg, in)
	in = grantInput("f1", "bob")
	in.Entity = folder("f1")
	mustCreate(t, e, testOrg, in)
	deny := grantInput("d1", "alice")
	deny.Level, deny.Effect = model.LevelWrite, model.EffectDeny
	mustCreate(t, e, testOrg, deny)
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, model.EntityLink{Child: doc("d2"), Parent: folder("f1")}))

	spec := bulk.JobSpec{Name: "deny dave", RequestedBy: jobRequester, Operation: bulk.OpReplaceAll,
		Resources: []model.EntityRef{doc("d3")}, ACL: []bulk.ACE{
			{Grantee: model.User("carol"), Level: model.LevelRead},
			{Grantee: model.User("dave"), Level: model.LevelRead, Effect: model.EffectDeny},
		}}
	sub, err := e.SubmitJob(ctx, testOrg, spec)
	require.NoError(t, err)
	sum, err := e.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	require.Equal(t, bulk.JobSucceeded, sum.Status)
}

// checkDenyAndLinks asserts what fillDenyAndLinks wrote is answered.
func checkDenyAndLinks(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	check := func(user string, ent model.EntityRef, level model.Level) bool {
		ok, err := e.Check(ctx, testOrg, user, ent, level)
		require.NoError(t, err)
		return ok
	}
	assert.True(t, check("alice", doc("d1"), model.LevelRead), "admin on root reaches d1 through f1")
	assert.False(t, check("alice", doc("d1"), model.LevelWrite), "the deny on d1 takes write away")
	assert.True(t, check("alice", folder("f1"), model.LevelAdmin))
	assert.True(t, check("bob", doc("d1"), model.LevelRead), "bob's grant on f1 reaches d1")
	assert.False(t, check("bob", doc("d2"), model.LevelRead), "d2 was unlinked from f1")
	assert.True(t, check("carol", doc("d3"), model.LevelRead))
	dave := listAll(t, e, testOrg, model.GrantQuery{Entity: doc("d3"), Grantee: model.User("dave")})
	require.Len(t, dave, 1, "the job's deny entry")
	assert.Equal(t, model.EffectDeny, dave[0].Effect)
	d, err := e.Resolve(ctx, testOrg, "bob", doc("d1"))
	require.NoError(t, err)
	require.Len(t, d.Via, 1)
	assert.Equal(t, []model.EntityRef{doc("d1"), folder("f1")}, d.Via[0].Entities, "the chain of links")
	ok, err := e.Check(ctx, otherOrg, "bob", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok, "the other organisation's link carries no grant of this one")
}

// Denies and links come back from the journal alone, from a snapshot (a
// checkpoint after every commit), and in a copy made by Snapshot.
func TestReopenKeepsDeniesAndLinks(t *testing.T) {
	cases := map[string]struct {
		opts []engine.Option
		copy bool
	}{
		"from the journal":           {},
		"from a snapshot":            {opts: []engine.Option{engine.WithCheckpointEvery(1, 0)}},
		"in a copy made by Snapshot": {copy: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newFakeClock(t0)
			e := openDurable(t, dir, clock, tc.opts...)
			fillDenyAndLinks(t, e)
			checkDenyAndLinks(t, e)
			before := captureState(t, e)
			if tc.copy {
				dir = filepath.Join(t.TempDir(), "copy")
				require.NoError(t, e.Snapshot(context.Background(), dir))
			}
			require.NoError(t, e.Close())
			if tc.opts != nil {
				snaps, err := filepath.Glob(filepath.Join(dir, "snapshot-*.buntdb"))
				require.NoError(t, err)
				require.Len(t, snaps, 1, "a checkpoint was taken")
			}

			again := openDurable(t, dir, clock)
			checkDenyAndLinks(t, again)
			assert.Equal(t, before, captureState(t, again))
		})
	}
}

// A job whose ACL holds a deny, cut off by Close, resumes from its stored
// spec: the remaining resources get the deny too, not an allow.
func TestReopenResumesAJobWithADeny(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	ctx := context.Background()
	e := openDurable(t, dir, clock)
	const total, doneBefore = 4, 1
	reached := make(chan struct{})
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		clock.Advance(time.Second)
		if step == doneBefore {
			close(reached)
			<-ctx.Done()
		}
	})
	spec := replaceAllJob(manyDocs(total))
	spec.ACL = append(spec.ACL, bulk.ACE{Grantee: model.User("dave"), Level: model.LevelWrite, Effect: model.EffectDeny})
	sub, err := e.SubmitJob(ctx, testOrg, spec)
	require.NoError(t, err)
	<-reached
	require.NoError(t, e.Close())

	again := openDurable(t, dir, clock)
	sum, err := again.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	require.Equal(t, bulk.JobSucceeded, sum.Status)
	for _, d := range manyDocs(total) {
		grants := listAll(t, again, testOrg, model.GrantQuery{Entity: d, Grantee: model.User("dave")})
		require.Len(t, grants, 1, "%s", d)
		assert.Equal(t, model.EffectDeny, grants[0].Effect, "%s", d)
		assert.Equal(t, model.LevelWrite, grants[0].Level, "%s", d)
	}
}
