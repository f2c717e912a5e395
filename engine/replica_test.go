package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func openOn(t *testing.T, l engine.Log) *engine.Engine {
	t.Helper()
	e, err := engine.Open(engine.WithLog(l))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func waitFor(t *testing.T, e *engine.Engine, rev uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.WaitRevision(ctx, rev))
}

func grantIn(entity, user string) model.GrantInput {
	return model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: entity}, Grantee: model.User(user), Level: model.LevelRead}
}

func TestReplicaSeesAnotherReplicasWrite(t *testing.T) {
	l := newMemLog()
	a, b := openOn(t, l), openOn(t, l)
	ctx := context.Background()
	g, err := a.CreateGrant(ctx, "org_1", grantIn("d1", "alice"))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), a.Revision(), "the write returns once applied")
	waitFor(t, b, a.Revision())
	got, err := b.GetGrant(ctx, "org_1", g.ID)
	require.NoError(t, err)
	assert.Equal(t, g, got)
	ok, err := b.Check(ctx, "org_1", "alice", g.Entity, model.LevelRead)
	require.NoError(t, err)
	assert.True(t, ok)

	// A replica opened later reads the whole log at Open, with the same
	// change feed (the record carries the writer's time).
	c := openOn(t, l)
	assert.Equal(t, a.Revision(), c.Revision())
	ca, err := a.Changes(ctx, "org_1", 0, 10)
	require.NoError(t, err)
	cc, err := c.Changes(ctx, "org_1", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, ca, cc)
}

func TestReplicasWritingAtOnceAllLand(t *testing.T) {
	l := newMemLog()
	replicas := []*engine.Engine{openOn(t, l), openOn(t, l), openOn(t, l)}
	ctx := context.Background()
	const each = 40
	var wg sync.WaitGroup
	for i, e := range replicas {
		wg.Go(func() {
			for n := range each {
				_, err := e.CreateGrant(ctx, "org_1", grantIn(fmt.Sprintf("r%d-d%d", i, n), "alice"))
				assert.NoError(t, err)
			}
			_, err := e.BulkCreate(ctx, "org_1", []model.GrantInput{grantIn(fmt.Sprintf("r%d-bulk", i), "bob")}, bulk.Options{})
			assert.NoError(t, err)
			assert.NoError(t, e.AddMembers(ctx, "org_1", model.Membership{
				Member: model.User(fmt.Sprintf("u%d", i)), Group: model.Subject{Type: model.SubjectRole, ID: "readers"},
			}))
		})
	}
	wg.Wait()
	total := uint64(len(replicas) * (each + 2))
	assert.Equal(t, int(total), l.len(), "one record per write")
	var lists [][]model.Grant
	for _, e := range replicas {
		waitFor(t, e, total)
		assert.Equal(t, total, e.Revision())
		page, err := e.ListGrants(ctx, "org_1", model.GrantQuery{Limit: model.MaxPageSize})
		require.NoError(t, err)
		lists = append(lists, page.Grants)
	}
	assert.Len(t, lists[0], len(replicas)*(each+1))
	assert.Equal(t, lists[0], lists[1])
	assert.Equal(t, lists[0], lists[2])
	ids := map[string]bool{}
	for _, g := range lists[0] {
		assert.False(t, ids[g.ID], "id %s drawn twice", g.ID)
		ids[g.ID] = true
	}
}

func TestRaceOnOneKeyHasOneWinner(t *testing.T) {
	l := newMemLog()
	a, b := openOn(t, l), openOn(t, l)
	ctx := context.Background()
	for round := range 30 {
		in := grantIn(fmt.Sprintf("d%d", round), "alice")
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, e := range []*engine.Engine{a, b} {
			wg.Go(func() { _, errs[i] = e.CreateGrant(ctx, "org_1", in) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, model.ErrDuplicate)
			}
		}
		assert.Equal(t, 1, won, "round %d: %v", round, errs)
	}
}

// A replica behind the log does not refuse a write on what it has not seen
// yet: it catches up and runs the write again.
func TestReplicaBehindCatchesUpBeforeRefusing(t *testing.T) {
	l := newMemLog()
	a, b := openOn(t, l), openOn(t, l)
	ctx := context.Background()
	l.hold(true)
	g, err := a.CreateGrant(ctx, "org_1", grantIn("d1", "alice"))
	require.NoError(t, err)
	assert.Zero(t, b.Revision(), "b's follower is held back")

	require.NoError(t, b.RevokeGrant(ctx, "org_1", g.ID), "b catches up and finds the grant")
	assert.Equal(t, uint64(2), b.Revision())
	_, err = b.CreateGrant(ctx, "org_1", grantIn("d1", "alice"))
	require.NoError(t, err, "the grant revoked, the key is free")

	// And the other way: a, held back, refuses a duplicate once it has seen it.
	_, err = a.CreateGrant(ctx, "org_1", grantIn("d1", "alice"))
	assert.ErrorIs(t, err, model.ErrDuplicate)
	assert.Equal(t, uint64(3), a.Revision())
	l.hold(false)
}

func TestLogUnreachable(t *testing.T) {
	l := newMemLog()
	e := openOn(t, l)
	ctx := context.Background()
	g, err := e.CreateGrant(ctx, "org_1", grantIn("d1", "alice"))
	require.NoError(t, err)

	l.failAppends(errLogDown)
	_, err = e.CreateGrant(ctx, "org_1", grantIn("d2", "alice"))
	assert.ErrorIs(t, err, engine.ErrNotReplicated)
	assert.ErrorIs(t, err, errLogDown, "the cause is kept")
	assert.Equal(t, uint64(1), e.Revision(), "nothing is applied that the log does not hold")
	got, err := e.GetGrant(ctx, "org_1", g.ID)
	require.NoError(t, err, "reads go on")
	assert.Equal(t, g, got)
	_, err = e.GetGrant(ctx, "org_1", "agrant_nope")
	assert.ErrorIs(t, err, model.ErrNotFound)

	l.failAppends(nil)
	_, err = e.CreateGrant(ctx, "org_1", grantIn("d2", "alice"))
	assert.NoError(t, err, "writes resume")
}

func TestBadInputIsRefusedWithoutTheLog(t *testing.T) {
	l := newMemLog()
	e := openOn(t, l)
	_, err := e.CreateGrant(context.Background(), "org_1", model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: "d1"}, Grantee: model.User("alice")})
	assert.ErrorIs(t, err, model.ErrValidation)
	assert.Zero(t, l.len())
}

func TestRecordThatDoesNotApplyStopsTheReplica(t *testing.T) {
	l := newMemLog()
	e := openOn(t, l)
	_, err := l.Append(context.Background(), 0, []byte("not a commit"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := e.CreateGrant(context.Background(), "org_1", grantIn("d1", "alice"))
		return err != nil && !errors.Is(err, model.ErrDuplicate)
	}, 10*time.Second, 10*time.Millisecond)
	_, err = e.CreateGrant(context.Background(), "org_1", grantIn("d1", "alice"))
	assert.ErrorContains(t, err, "log record 1")
	assert.Zero(t, e.Revision())
	assert.Equal(t, 1, l.len(), "nothing more was appended")
}

// A job runs on the replica that submitted it, its steps committing through
// the log while another replica writes: every replica ends with its grants
// and its summary.
func TestJobOnAReplica(t *testing.T) {
	l := newMemLog()
	a, b := openOn(t, l), openOn(t, l)
	ctx := context.Background()
	var inputs []model.GrantInput
	for i := range 30 {
		inputs = append(inputs, grantIn(fmt.Sprintf("job-d%d", i), "carol"))
	}
	sum, err := a.SubmitJob(ctx, "org_1", bulk.JobSpec{Name: "import", RequestedBy: "admin", Operation: bulk.OpCreate, Grants: inputs})
	require.NoError(t, err)
	for i := range 20 {
		_, err := b.CreateGrant(ctx, "org_1", grantIn(fmt.Sprintf("b-d%d", i), "dave"))
		require.NoError(t, err)
	}
	done, err := a.WaitJob(ctx, "org_1", sum.ID)
	require.NoError(t, err)
	assert.Equal(t, model.JobSucceeded, done.Status)
	waitFor(t, b, a.Revision())
	waitFor(t, a, b.Revision())
	onB, err := b.Job(ctx, "org_1", sum.ID)
	require.NoError(t, err)
	assert.Equal(t, done, onB)
	ga, err := a.ListGrants(ctx, "org_1", model.GrantQuery{Limit: model.MaxPageSize})
	require.NoError(t, err)
	gb, err := b.ListGrants(ctx, "org_1", model.GrantQuery{Limit: model.MaxPageSize})
	require.NoError(t, err)
	assert.Len(t, ga.Grants, 50)
	assert.Equal(t, ga, gb)
}

// Denies and links travel in the log record (format 3) and replicate: a
// deny written on one replica takes access away on the other, and a grant on
// a folder reaches the document linked into it there too.
func TestLinksAndDeniesReplicate(t *testing.T) {
	l := newMemLog()
	a, b := openOn(t, l), openOn(t, l)
	ctx := context.Background()
	doc := model.EntityRef{Type: "doc", ID: "d1"}
	folder := model.EntityRef{Type: "folder", ID: "f1"}
	require.NoError(t, a.LinkEntities(ctx, "org_1", model.EntityLink{Child: doc, Parent: folder}))
	_, err := a.CreateGrant(ctx, "org_1", model.GrantInput{Entity: folder, Grantee: model.User("alice"), Level: model.LevelAdmin})
	require.NoError(t, err)
	deny := grantIn("d1", "alice")
	deny.Effect = model.EffectDeny
	deny.Level = model.LevelWrite
	_, err = a.CreateGrant(ctx, "org_1", deny)
	require.NoError(t, err)
	waitFor(t, b, a.Revision())
	for _, e := range []*engine.Engine{a, b} {
		dec, err := e.Resolve(ctx, "org_1", "alice", doc)
		require.NoError(t, err)
		assert.Equal(t, model.LevelRead, dec.Level, "admin on the folder, capped below the deny at write")
		require.Len(t, dec.Denied, 1)
		assert.Equal(t, model.EffectDeny, dec.Denied[0].Grant.Effect)
		require.Len(t, dec.Via, 1)
		assert.Equal(t, []model.EntityRef{doc, folder}, dec.Via[0].Entities)
	}
	assert.Equal(t, a.Revision(), b.Revision())
}
