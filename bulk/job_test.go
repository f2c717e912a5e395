package bulk_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// storeCommitter commits straight to a store, as the engine's write path
// does, with a clock that ticks a second per reading.
type storeCommitter struct {
	mu   sync.Mutex
	s    *store.Store
	now  time.Time
	next int
}

func (c *storeCommitter) CommitJob(ctx context.Context, fill func(tx *store.WriteTxn) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	tx := c.s.Write()
	defer tx.Abort()
	if err := fill(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx.Commit()
	return nil
}

func (c *storeCommitter) Now() time.Time {
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *storeCommitter) NewGrantID(time.Time) string {
	c.next++
	return fmt.Sprintf("agrant_%04d", c.next)
}

func newCommitter(t *testing.T) *storeCommitter {
	s, err := store.New()
	require.NoError(t, err)
	return &storeCommitter{s: s, now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func submit(t *testing.T, c *storeCommitter, org, id string, spec bulk.JobSpec) bulk.JobSummary {
	t.Helper()
	var sum bulk.JobSummary
	require.NoError(t, c.CommitJob(context.Background(), func(tx *store.WriteTxn) error {
		var err error
		sum, err = bulk.SubmitJobTxn(tx, org, id, spec, c.Now())
		return err
	}))
	return sum
}

func TestJobRunResumesFromFirstUnfinishedStep(t *testing.T) {
	c := newCommitter(t)
	ctx := context.Background()
	v, err := model.NewValidator()
	require.NoError(t, err)
	resources := []model.EntityRef{{Type: "stream", ID: "s1"}, {Type: "stream", ID: "s2"}, {Type: "stream", ID: "s3"}}
	spec := bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: resources, RequestedBy: "usr_admin",
		ACL: []bulk.ACE{{Grantee: model.Role("ops"), Level: model.LevelRead}}}
	require.NoError(t, bulk.ValidateJobSpec(v, spec))
	sub := submit(t, c, "org_a", "job_1", spec)
	assert.Equal(t, bulk.JobNotStarted, sub.Status)

	// The first runner does one step and stops (as on Close).
	run, err := bulk.StartJob(ctx, c, v, "org_a", "job_1")
	require.NoError(t, err)
	require.NotNil(t, run)
	more, err := run.Step(ctx)
	require.NoError(t, err)
	assert.True(t, more)
	started, err := bulk.JobSummaryTxn(c.s.Snapshot().Read(), "org_a", "job_1")
	require.NoError(t, err)
	assert.Equal(t, bulk.JobInProgress, started.Status)
	assert.Equal(t, 1, started.StepsProcessed)

	// A second runner (after a restart) goes on from step 2.
	run, err = bulk.StartJob(ctx, c, v, "org_a", "job_1")
	require.NoError(t, err)
	for more = true; more; {
		more, err = run.Step(ctx)
		require.NoError(t, err)
	}
	sum, err := bulk.JobSummaryTxn(c.s.Snapshot().Read(), "org_a", "job_1")
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, 3, sum.StepsProcessed)
	assert.Equal(t, started.StartTime, sum.StartTime, "a resumed job keeps its start")

	r := c.s.Snapshot().Read()
	for _, res := range resources {
		g, ok := r.GrantByKey("org_a", res, model.Role("ops"))
		require.True(t, ok, "grant on %s", res)
		assert.Equal(t, "usr_admin", g.GrantedBy)
	}
	assert.Equal(t, 3, c.next, "one grant id per created grant")

	// An ended job has nothing to run.
	run, err = bulk.StartJob(ctx, c, v, "org_a", "job_1")
	require.NoError(t, err)
	assert.Nil(t, run)
	_, err = bulk.StartJob(ctx, c, v, "org_b", "job_1")
	assert.ErrorIs(t, err, model.ErrNotFound)
}

func TestJobStepStopsOnACancelledContext(t *testing.T) {
	c := newCommitter(t)
	v, err := model.NewValidator()
	require.NoError(t, err)
	submit(t, c, "org_a", "job_1", bulk.JobSpec{Operation: bulk.OpRevoke,
		Resources: []model.EntityRef{{Type: "stream", ID: "s1"}}})
	run, err := bulk.StartJob(context.Background(), c, v, "org_a", "job_1")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = run.Step(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	sum, err := bulk.JobSummaryTxn(c.s.Snapshot().Read(), "org_a", "job_1")
	require.NoError(t, err)
	assert.Equal(t, bulk.JobInProgress, sum.Status)
	assert.Zero(t, sum.StepsProcessed, "the step did not commit")
}

func TestJobStatusAndFilter(t *testing.T) {
	cases := []struct {
		status          bulk.JobStatus
		ended           bool
		success, failed bool
	}{
		{bulk.JobNotStarted, false, false, false},
		{bulk.JobInProgress, false, false, false},
		{bulk.JobSucceeded, true, true, false},
		{bulk.JobPartiallySucceeded, true, false, false},
		{bulk.JobFailed, true, false, true},
		{bulk.JobCancelled, true, false, false},
		{"Invalid", false, false, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.status), func(t *testing.T) {
			assert.Equal(t, tc.ended, tc.status.Ended())
			assert.True(t, bulk.FilterAll.Match(tc.status))
			assert.Equal(t, tc.success, bulk.FilterSuccess.Match(tc.status))
			assert.Equal(t, tc.failed, bulk.FilterFailure.Match(tc.status))
		})
	}
	assert.False(t, bulk.StepFilter(-1).Valid())
	assert.False(t, bulk.StepFilter(3).Valid())
	assert.False(t, bulk.Operation("update_all").Valid())
}
