package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// openDurableOn opens a replica of l whose local copy is dir.
func openDurableOn(t *testing.T, l engine.Log, dir string, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e, err := engine.Open(append([]engine.Option{engine.WithLog(l), engine.WithPath(dir), engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// createGrants makes n grants on e, on entities named from prefix.
// closedCopy returns the directory of a replica of l that followed writer
// through n grants of its own making and then closed: a local copy behind
// whatever the log holds next.
func closedCopy(t *testing.T, l engine.Log, writer *engine.Engine, n int) string {
	t.Helper()
	dir := t.TempDir()
	r := openDurableOn(t, l, dir)
	createGrants(t, writer, "a", n)
	waitFor(t, r, writer.Revision())
	require.NoError(t, r.Close())
	return dir
}

func createGrants(t *testing.T, e *engine.Engine, prefix string, n int) {
	t.Helper()
	for i := range n {
		_, err := e.CreateGrant(context.Background(), "org_1", grantIn(fmt.Sprintf("%s%d", prefix, i), "alice"))
		require.NoError(t, err)
	}
}

func grantsOf(t *testing.T, e *engine.Engine) []model.Grant {
	t.Helper()
	page, err := e.ListGrants(context.Background(), "org_1", model.GrantQuery{Limit: model.MaxPageSize})
	require.NoError(t, err)
	return page.Grants
}

func TestReplicaWithPathReopensWhereItStopped(t *testing.T) {
	l := newMemLog()
	writer := openOn(t, l)
	dir := t.TempDir()
	r := openDurableOn(t, l, dir)
	createGrants(t, writer, "a", 5)
	createGrants(t, r, "b", 3) // the replica's own writes are journalled too
	waitFor(t, r, writer.Revision())
	require.NoError(t, r.Close())

	// Alone, the directory is the local copy: every record applied.
	alone, err := engine.Open(engine.WithPath(dir), engine.WithSweepInterval(0))
	require.NoError(t, err)
	assert.Equal(t, uint64(8), alone.Revision())
	assert.Equal(t, grantsOf(t, writer), grantsOf(t, alone))
	require.NoError(t, alone.Close())

	createGrants(t, writer, "c", 4)
	r = openDurableOn(t, l, dir)
	assert.Equal(t, writer.Revision(), r.Revision(), "Open reads the log after the local copy")
	assert.Equal(t, grantsOf(t, writer), grantsOf(t, r))
	_, err = r.CreateGrant(context.Background(), "org_1", grantIn("d", "alice"))
	require.NoError(t, err, "the reopened replica appends after the log's last record")
	waitFor(t, writer, r.Revision())
}

func TestReplicaWithPathAfterTheLogWasTrimmedBelowIt(t *testing.T) {
	l := newMemLog()
	writer := openOn(t, l)
	dir := closedCopy(t, l, writer, 6)
	l.trim(4) // the copy covers 6: what it needs is still there
	createGrants(t, writer, "b", 2)
	r := openDurableOn(t, l, dir)
	assert.Equal(t, writer.Revision(), r.Revision())
}

func TestReplicaWithPathRefusesAGapInTheLog(t *testing.T) {
	l := newMemLog()
	writer := openOn(t, l)
	dir := closedCopy(t, l, writer, 2)
	createGrants(t, writer, "b", 4)
	l.trim(5) // records 3 to 5, which the copy lacks, are gone

	_, err := engine.Open(engine.WithLog(l), engine.WithPath(dir))
	require.Error(t, err)
	assert.ErrorContains(t, err, "trimmed")

	// The failed Open released the directory.
	alone, err := engine.Open(engine.WithPath(dir))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), alone.Revision())
	require.NoError(t, alone.Close())
}

func TestReplicaWithPathRefusesACopyOfAnotherLog(t *testing.T) {
	dir := t.TempDir()
	alone, err := engine.Open(engine.WithPath(dir))
	require.NoError(t, err)
	createGrants(t, alone, "a", 3)
	require.NoError(t, alone.Close())

	_, err = engine.Open(engine.WithLog(newMemLog()), engine.WithPath(dir))
	require.Error(t, err)
	assert.ErrorContains(t, err, "not of this log")
}

func TestReplicaWithPathRunsAJob(t *testing.T) {
	l := newMemLog()
	r := openDurableOn(t, l, t.TempDir())
	ctx := context.Background()
	sum, err := r.SubmitJob(ctx, "org_1", bulk.JobSpec{Name: "j", RequestedBy: "admin", Operation: bulk.OpCreate,
		Grants: []model.GrantInput{grantIn("d1", "alice")}})
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done, err := r.WaitJob(wctx, "org_1", sum.ID)
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, done.Status)
}

// A running replica that the log was trimmed past stops rather than apply
// a record that does not follow its state, and says so.
func TestReplicaTrimmedPastWhileRunningStops(t *testing.T) {
	l := newMemLog()
	writer := openOn(t, l)
	r := openOn(t, l)
	createGrants(t, writer, "a", 2)
	waitFor(t, r, 2)
	l.hold(true)
	createGrants(t, writer, "b", 3)
	l.trim(4) // record 3, which r lacks, is gone
	l.hold(false)
	require.Eventually(t, func() bool {
		_, err := r.CreateGrant(context.Background(), "org_1", grantIn("c", "alice"))
		return err != nil && strings.Contains(err.Error(), "trimmed")
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, uint64(2), r.Revision(), "it applied nothing after the gap")
}
