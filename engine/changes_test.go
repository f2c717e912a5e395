package engine_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// changesAfter reads every change of org after after, page by page.
func changesAfter(t testing.TB, e *engine.Engine, org string, after uint64) []model.Change {
	t.Helper()
	var all []model.Change
	for {
		page, err := e.Changes(context.Background(), org, after, model.MaxPageSize)
		require.NoError(t, err)
		all = append(all, page...)
		if len(page) < model.MaxPageSize {
			return all
		}
		after = page[len(page)-1].Revision
	}
}

func write(g model.Grant) model.GrantChange {
	return model.GrantChange{Op: model.ChangeWrite, Grant: g}
}
func deleted(g model.Grant) model.GrantChange {
	return model.GrantChange{Op: model.ChangeDelete, Grant: g}
}

// Each call that writes is one Change, carrying the whole grant as written
// or as it was when deleted, at the engine's time, with ascending revisions.
func TestChangesListGrantsAndMembershipsAsWritten(t *testing.T) {
	e, clock := newTestEngine(t)
	ctx := context.Background()

	g := mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	clock.Advance(time.Minute)
	up, err := e.UpdateGrant(ctx, testOrg, g.ID, model.LevelWrite)
	require.NoError(t, err)
	clock.Advance(time.Minute)
	m := membership(model.User("u1"), model.Role("r1"))
	require.NoError(t, e.AddMembers(ctx, testOrg, m))
	require.NoError(t, e.AddMembers(ctx, testOrg, m), "an existing membership is a no-op: no commit")
	require.NoError(t, e.RemoveMembers(ctx, testOrg, m))
	require.NoError(t, e.RevokeGrant(ctx, testOrg, g.ID))

	got := changesAfter(t, e, testOrg, 0)
	require.Len(t, got, 5)
	at := t0.UTC()
	want := []model.Change{
		{Revision: 1, At: at, Grants: []model.GrantChange{write(g)}},
		{Revision: 2, At: at.Add(time.Minute), Grants: []model.GrantChange{write(up)}},
		{Revision: 3, At: at.Add(2 * time.Minute), Memberships: []model.MembershipChange{{Op: model.ChangeWrite, Membership: m}}},
		{Revision: 4, At: at.Add(2 * time.Minute), Memberships: []model.MembershipChange{{Op: model.ChangeDelete, Membership: m}}},
		{Revision: 5, At: at.Add(2 * time.Minute), Grants: []model.GrantChange{deleted(up)}},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, uint64(5), e.Revision())

	for after := uint64(0); after <= 6; after++ {
		got := changesAfter(t, e, testOrg, after)
		if after >= 5 {
			assert.Empty(t, got, "after %d", after)
			continue
		}
		assert.Equal(t, want[after:], got, "after %d", after)
	}
}

// Another organisation's commits are invisible, not even as empty entries:
// revisions skip them.
func TestChangesIsolateOrganisations(t *testing.T) {
	e, _ := newTestEngine(t)
	a := mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	b := mustCreate(t, e, otherOrg, grantInput("d1", "u1"))
	a2 := mustCreate(t, e, testOrg, grantInput("d2", "u1"))
	require.NoError(t, e.AddMembers(context.Background(), otherOrg, membership(model.User("u1"), model.Role("r1"))))

	mine := changesAfter(t, e, testOrg, 0)
	require.Len(t, mine, 2)
	assert.Equal(t, []uint64{1, 3}, revisionsOf(mine))
	assert.Equal(t, []model.GrantChange{write(a)}, mine[0].Grants)
	assert.Equal(t, []model.GrantChange{write(a2)}, mine[1].Grants)

	theirs := changesAfter(t, e, otherOrg, 0)
	assert.Equal(t, []uint64{2, 4}, revisionsOf(theirs))
	assert.Equal(t, []model.GrantChange{write(b)}, theirs[0].Grants)

	none, err := e.Changes(context.Background(), "org_quiet", 0, 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func revisionsOf(chs []model.Change) []uint64 {
	out := make([]uint64, len(chs))
	for i, ch := range chs {
		out[i] = ch.Revision
	}
	return out
}

func TestChangesLimit(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithChangeRetention(2000))
	ctx := context.Background()
	for i := range 1200 {
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	for _, tc := range []struct {
		limit, want int
	}{{0, model.DefaultPageSize}, {1, 1}, {250, 250}, {model.MaxPageSize, model.MaxPageSize}, {5000, model.MaxPageSize}} {
		page, err := e.Changes(ctx, testOrg, 0, tc.limit)
		require.NoError(t, err)
		assert.Len(t, page, tc.want, "limit %d", tc.limit)
		assert.Equal(t, uint64(1), page[0].Revision)
	}
	_, err := e.Changes(ctx, testOrg, 0, -1)
	requireModelError(t, err, model.ErrValidation, model.FieldLimit)
	assert.Len(t, changesAfter(t, e, testOrg, 0), 1200, "pages continue after their last revision")
}

func TestChangesRefuseBadCalls(t *testing.T) {
	e, _ := newTestEngine(t)
	_, err := e.Changes(context.Background(), "", 0, 0)
	requireModelError(t, err, model.ErrValidation, model.FieldOrg)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Changes(ctx, testOrg, 0, 0)
	assert.ErrorIs(t, err, context.Canceled)

	require.NoError(t, e.Close())
	_, err = e.Changes(context.Background(), testOrg, 0, 0)
	assert.ErrorIs(t, err, model.ErrClosed)
}

// A read that would miss a commit no longer retained is ErrCompacted; one
// that misses nothing of its organisation is served, however many other
// commits have left the window.
func TestChangesCompacted(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithChangeRetention(5))
	ctx := context.Background()
	mustCreate(t, e, testOrg, grantInput("d0", "u1")) // revision 1
	for i := range 10 {
		mustCreate(t, e, otherOrg, grantInput("d"+strconv.Itoa(i), "u1")) // revisions 2..11
	}
	_, err := e.Changes(ctx, testOrg, 0, 0)
	requireModelError(t, err, model.ErrCompacted, "")

	got, err := e.Changes(ctx, testOrg, 1, 0)
	require.NoError(t, err, "nothing of the org after revision 1 was lost")
	assert.Empty(t, got)

	_, err = e.Changes(ctx, otherOrg, 5, 0)
	assert.ErrorIs(t, err, model.ErrCompacted, "revision 6 has left the window")
	got, err = e.Changes(ctx, otherOrg, 6, 0)
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 8, 9, 10, 11}, revisionsOf(got))

	mustCreate(t, e, testOrg, grantInput("d1", "u1")) // revision 12
	got, err = e.Changes(ctx, testOrg, 1, 0)
	require.NoError(t, err)
	assert.Equal(t, []uint64{12}, revisionsOf(got))
}

// With no option the window holds at least the last 10,000 commits.
func TestChangesDefaultRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("10,001 commits")
	}
	e, _ := newTestEngine(t)
	for i := range engine.DefaultChangeRetention + 1 {
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	_, err := e.Changes(context.Background(), testOrg, 0, 1)
	assert.ErrorIs(t, err, model.ErrCompacted)
	got, err := e.Changes(context.Background(), testOrg, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, []uint64{2}, revisionsOf(got))
}

// An expiry sweep is a commit of deletes, at the sweep's time, in each
// organisation it touched; the grant's end itself commits nothing.
func TestChangesShowSweepsAsDeletes(t *testing.T) {
	e, clock := newTestEngine(t, engine.WithSweepInterval(0))
	ctx := context.Background()
	in := grantInput("d1", "u1")
	in.EffectiveTo = t0.Add(time.Hour)
	mine := mustCreate(t, e, testOrg, in)
	theirs := mustCreate(t, e, otherOrg, in)
	rev := e.Revision()

	clock.Advance(2 * time.Hour)
	none, err := e.Changes(ctx, testOrg, rev, 0)
	require.NoError(t, err)
	assert.Empty(t, none, "an end is not a commit")

	n, err := engine.SweepNow(ctx, e)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	sweptAt := t0.Add(2 * time.Hour).UTC()
	assert.Equal(t, []model.Change{{Revision: rev + 1, At: sweptAt, Grants: []model.GrantChange{deleted(mine)}}},
		changesAfter(t, e, testOrg, rev))
	assert.Equal(t, []model.Change{{Revision: rev + 1, At: sweptAt, Grants: []model.GrantChange{deleted(theirs)}}},
		changesAfter(t, e, otherOrg, rev))
}

// A grant created over an ended one that was not swept takes its key: the
// feed deletes the old id and writes the new one, in that order.
func TestChangesDeleteTheIDAWriteReplaces(t *testing.T) {
	e, clock := newTestEngine(t, engine.WithSweepInterval(0))
	in := grantInput("d1", "u1")
	in.EffectiveTo = t0.Add(time.Hour)
	old := mustCreate(t, e, testOrg, in)
	clock.Advance(2 * time.Hour)
	fresh := mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	require.NotEqual(t, old.ID, fresh.ID)

	got := changesAfter(t, e, testOrg, 1)
	require.Len(t, got, 1)
	assert.Equal(t, []model.GrantChange{deleted(old), write(fresh)}, got[0].Grants)
}

// A batch is one Change with every grant it wrote, whatever its mode.
func TestChangesShowABatchAsOneChange(t *testing.T) {
	e, clock := newTestEngine(t)
	items := []model.GrantInput{grantInput("d1", "u1"), grantInput("d2", "u1"), grantInput("d3", "u1")}
	res := bulkCreate(t, e, items, bulk.Options{Mode: bulk.AllOrNothing})
	require.True(t, res.Committed)

	clock.Advance(time.Minute)
	items = append(items, grantInput("d4", "u1"))
	for i := range items {
		items[i].Level = model.LevelAdmin
	}
	res = bulkCreate(t, e, items, bulk.Options{Mode: bulk.Upsert})

	got := changesAfter(t, e, testOrg, 0)
	require.Len(t, got, 2)
	require.Len(t, got[0].Grants, 3)
	require.Len(t, got[1].Grants, 4)
	for i, item := range res.Items {
		assert.Equal(t, write(item.Grant), got[1].Grants[i], "item %d", i)
	}
	skipped := bulkCreate(t, e, items, bulk.Options{Mode: bulk.SkipDuplicates})
	require.NotEmpty(t, skipped.Items)
	assert.Len(t, changesAfter(t, e, testOrg, 0), 2, "a batch of duplicates writes nothing")
}

// A job's grants are in the feed, one Change per step that wrote; its
// bookkeeping (summaries, specs, steps) is not, and takes revisions the
// feed skips.
func TestChangesCarryJobGrantsNotJobRows(t *testing.T) {
	e, _ := newTestEngine(t)
	before := e.Revision()
	sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{
		RequestedBy: "usr_admin", Operation: bulk.OpCreate,
		Grants: []model.GrantInput{grantInput("d1", "u1"), grantInput("d2", "u1"), grantInput("d2", "u2")},
	})
	require.Equal(t, bulk.JobSucceeded, sum.Status)
	require.Greater(t, e.Revision()-before, uint64(2), "the job's bookkeeping commits too")

	got := changesAfter(t, e, testOrg, before)
	require.Len(t, got, 2, "one change per resource")
	var written []model.Grant
	for _, ch := range got {
		assert.Empty(t, ch.Memberships)
		for _, gc := range ch.Grants {
			assert.Equal(t, model.ChangeWrite, gc.Op)
			written = append(written, gc.Grant)
		}
	}
	assert.ElementsMatch(t, listAll(t, e, testOrg, model.GrantQuery{}), written)
	assert.Greater(t, got[0].Revision, before+1, "the job's submission is bookkeeping only")

	rev := e.Revision()
	runJobToEnd(t, e, testOrg, bulk.JobSpec{
		RequestedBy: "usr_admin", Operation: bulk.OpRevoke, Resources: []model.EntityRef{doc("d9")},
	})
	assert.Empty(t, changesAfter(t, e, testOrg, rev), "a job that changed no grant is not in the feed")
}
