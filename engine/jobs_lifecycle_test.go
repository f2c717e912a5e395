package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// manyDocs returns n documents d000, d001, ...
func manyDocs(n int) []model.EntityRef {
	out := make([]model.EntityRef, n)
	for i := range out {
		out[i] = doc(fmt.Sprintf("d%03d", i))
	}
	return out
}

// replaceAllJob gives each resource exactly one admin entry for bob.
func replaceAllJob(resources []model.EntityRef) bulk.JobSpec {
	return bulk.JobSpec{Name: "give bob admin", RequestedBy: jobRequester, Operation: bulk.OpReplaceAll,
		Resources: resources, ACL: []bulk.ACE{{Grantee: jobBob, Level: model.LevelAdmin}}}
}

func TestJobLifecycle(t *testing.T) {
	e, clock := newTestEngine(t)
	ctx := context.Background()
	// Each step moves the clock, so that step times differ.
	var seen []bulk.JobSummary
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		sum, err := e.Job(ctx, testOrg, id)
		assert.NoError(t, err)
		seen = append(seen, sum)
		clock.Advance(time.Second)
	})
	sub, err := e.SubmitJob(ctx, testOrg, replaceAllJob(manyDocs(3)))
	require.NoError(t, err)
	assert.Equal(t, bulk.JobNotStarted, sub.Status)
	assert.True(t, strings.HasPrefix(sub.ID, engine.JobIDPrefix), sub.ID)
	assert.Equal(t, "give bob admin", sub.Name)
	assert.Equal(t, 3, sub.TotalSteps)
	assert.Zero(t, sub.StartTime)
	assert.Zero(t, sub.EndTime)

	sum, err := e.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	require.Len(t, seen, 3)
	for i, s := range seen {
		assert.Equal(t, bulk.JobInProgress, s.Status, "before step %d", i)
		assert.Equal(t, i, s.StepsProcessed, "before step %d", i)
		assert.Equal(t, i, s.StepsSucceeded, "before step %d", i)
		assert.Equal(t, 3, s.TotalSteps)
		assert.Equal(t, t0.UTC(), s.StartTime)
		assert.Zero(t, s.EndTime)
	}
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, t0.UTC(), sum.StartTime)
	assert.Equal(t, t0.Add(3*time.Second).UTC(), sum.EndTime)
	steps := jobAllSteps(t, e, testOrg, sub.ID)
	require.Len(t, steps, 3)
	for i, s := range steps {
		assert.Equal(t, t0.Add(time.Duration(i+1)*time.Second).UTC(), s.StartTime)
		assert.Equal(t, s.StartTime, s.EndTime)
		assert.Equal(t, time.UTC, s.StartTime.Location())
	}

	// Waiting for an ended job returns at once; so does cancelling it,
	// changing nothing.
	again, err := e.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, sum, again)
	require.NoError(t, e.CancelJob(ctx, testOrg, sub.ID))
	after, err := e.Job(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, sum, after)
}

func TestCancelJob(t *testing.T) {
	const cancelAt = 3
	e, _ := newTestEngine(t)
	ctx := context.Background()
	resources := manyDocs(20)
	for _, r := range resources {
		mustCreate(t, e, testOrg, jobInput(r, jobAlice, model.LevelRead))
	}
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		if step == cancelAt {
			assert.NoError(t, e.CancelJob(ctx, testOrg, id))
		}
	})
	sub, err := e.SubmitJob(ctx, testOrg, replaceAllJob(resources))
	require.NoError(t, err)
	sum, err := e.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)

	assert.Equal(t, bulk.JobCancelled, sum.Status)
	assert.Equal(t, cancelAt, sum.StepsProcessed)
	assert.Equal(t, cancelAt, sum.StepsSucceeded)
	assert.Zero(t, sum.StepsFailed)
	assert.Equal(t, len(resources), sum.TotalSteps)
	assert.False(t, sum.EndTime.IsZero())

	steps := jobAllSteps(t, e, testOrg, sub.ID)
	require.Len(t, steps, len(resources))
	for i, s := range steps {
		want, acl := bulk.JobCancelled, jobLevels{jobAlice: model.LevelRead}
		if i < cancelAt {
			want, acl = bulk.JobSucceeded, jobLevels{jobBob: model.LevelAdmin}
		}
		assert.Equal(t, want, s.Status, "step %d", i)
		assert.Equal(t, acl, jobLevelsOf(jobACLOf(t, e, testOrg, s.Resource)), "grants on %s", s.Resource)
	}
	done, err := e.JobSteps(ctx, testOrg, sub.ID, bulk.FilterSuccess, 0, 0)
	require.NoError(t, err)
	assert.Len(t, done, cancelAt)

	// A second cancel changes nothing.
	require.NoError(t, e.CancelJob(ctx, testOrg, sub.ID))
	again, err := e.Job(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, sum, again)

	requireModelError(t, e.CancelJob(ctx, testOrg, "job_nope"), model.ErrNotFound, "job_id")
	requireModelError(t, e.CancelJob(ctx, testOrg, ""), model.ErrValidation, "job_id")
}

func TestCancelJobBeforeItsFirstStep(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		if step == 0 {
			assert.NoError(t, e.CancelJob(ctx, testOrg, id))
		}
	})
	sum := runJobToEnd(t, e, testOrg, replaceAllJob(manyDocs(2)))
	assert.Equal(t, bulk.JobCancelled, sum.Status)
	assert.Zero(t, sum.StepsProcessed)
	assert.Empty(t, jobACLOf(t, e, testOrg, doc("d000")))
	failed, err := e.JobSteps(ctx, testOrg, sum.ID, bulk.FilterFailure, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, failed)
}

func TestWaitJobHonoursContext(t *testing.T) {
	e, _ := newTestEngine(t)
	held, release := make(chan struct{}), make(chan struct{})
	engine.SetJobStepHook(e, func(ctx context.Context, _ string, step int) {
		if step == 0 {
			close(held)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	})
	sub, err := e.SubmitJob(context.Background(), testOrg, replaceAllJob(manyDocs(2)))
	require.NoError(t, err)
	<-held

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = e.WaitJob(ctx, testOrg, sub.ID)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// The job is held before its first step, so it is still running.
	sum, err := e.Job(context.Background(), testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, bulk.JobInProgress, sum.Status)

	close(release)
	sum, err = e.WaitJob(context.Background(), testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
}

func TestCloseStopsRunningJobs(t *testing.T) {
	const stopAt = 2
	e, err := engine.Open()
	require.NoError(t, err)
	reached := make(chan string)
	var stopped sync.WaitGroup
	stopped.Add(1)
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		if step == stopAt {
			reached <- id
			<-ctx.Done() // Close cancels the runners' context
			stopped.Done()
		}
	})
	ctx := context.Background()
	sub, err := e.SubmitJob(ctx, testOrg, replaceAllJob(manyDocs(10)))
	require.NoError(t, err)
	id := <-reached

	sum, err := e.Job(ctx, testOrg, id)
	require.NoError(t, err)
	assert.Equal(t, sub.ID, id)
	assert.Equal(t, bulk.JobInProgress, sum.Status)
	assert.Equal(t, stopAt, sum.StepsProcessed)

	waitErr := make(chan error, 1)
	go func() {
		_, err := e.WaitJob(ctx, testOrg, id)
		waitErr <- err
	}()
	// Close returns only once the runner has returned.
	require.NoError(t, e.Close())
	stopped.Wait()
	assert.ErrorIs(t, <-waitErr, model.ErrClosed)
	_, err = e.Job(ctx, testOrg, id)
	assert.ErrorIs(t, err, model.ErrClosed)
	_, err = e.SubmitJob(ctx, testOrg, replaceAllJob(manyDocs(1)))
	assert.ErrorIs(t, err, model.ErrClosed)
}

func TestJobsAreScopedByOrganisation(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	mustCreate(t, e, testOrg, jobInput(doc("a"), jobAlice, model.LevelRead))
	sum := runJobToEnd(t, e, otherOrg, replaceAllJob(jobDocs("a")))
	require.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, jobLevels{jobAlice: model.LevelRead}, jobLevelsOf(jobACLOf(t, e, testOrg, doc("a"))))
	assert.Equal(t, jobLevels{jobBob: model.LevelAdmin}, jobLevelsOf(jobACLOf(t, e, otherOrg, doc("a"))))

	_, err := e.Job(ctx, testOrg, sum.ID)
	requireModelError(t, err, model.ErrNotFound, "job_id")
	_, err = e.WaitJob(ctx, testOrg, sum.ID)
	requireModelError(t, err, model.ErrNotFound, "job_id")
	_, err = e.JobSteps(ctx, testOrg, sum.ID, bulk.FilterAll, 0, 0)
	requireModelError(t, err, model.ErrNotFound, "job_id")
	requireModelError(t, e.CancelJob(ctx, testOrg, sum.ID), model.ErrNotFound, "job_id")
	jobs, err := e.Jobs(ctx, testOrg)
	require.NoError(t, err)
	assert.Empty(t, jobs)
	jobs, err = e.Jobs(ctx, otherOrg)
	require.NoError(t, err)
	assert.Equal(t, []bulk.JobSummary{sum}, jobs)

	_, err = e.Jobs(ctx, "")
	requireModelError(t, err, model.ErrValidation, model.FieldOrg)
}

func TestJobsNewestFirst(t *testing.T) {
	e, _ := newTestEngine(t)
	var ids []string
	for i := range 4 {
		spec := replaceAllJob(manyDocs(1))
		spec.Name = fmt.Sprint("job ", i)
		ids = append(ids, runJobToEnd(t, e, testOrg, spec).ID)
	}
	require.IsIncreasing(t, ids, "ids sort by submission")
	jobs, err := e.Jobs(context.Background(), testOrg)
	require.NoError(t, err)
	var got []string
	for _, j := range jobs {
		got = append(got, j.ID)
	}
	assert.Equal(t, []string{ids[3], ids[2], ids[1], ids[0]}, got)
	assert.Equal(t, "job 3", jobs[0].Name)
}

func TestJobKeepsItsSpec(t *testing.T) {
	e, _ := newTestEngine(t)
	release := make(chan struct{})
	engine.SetJobStepHook(e, func(ctx context.Context, _ string, step int) {
		if step == 0 {
			<-release
		}
	})
	spec := replaceAllJob(jobDocs("a"))
	sub, err := e.SubmitJob(context.Background(), testOrg, spec)
	require.NoError(t, err)
	spec.ACL[0].Level = model.LevelRead // the caller's copy changes, not the job's
	spec.Resources[0] = doc("b")
	close(release)
	_, err = e.WaitJob(context.Background(), testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, jobLevels{jobBob: model.LevelAdmin}, jobLevelsOf(jobACLOf(t, e, testOrg, doc("a"))))
	assert.Empty(t, jobACLOf(t, e, testOrg, doc("b")))
}

func TestConcurrentJobs(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	resources := manyDocs(40)
	specs := []bulk.JobSpec{
		{Operation: bulk.OpReplaceAll, Resources: resources, ACL: []bulk.ACE{{Grantee: jobAlice, Level: model.LevelRead}}},
		{Operation: bulk.OpReplaceGrantees, Resources: resources, Grantees: []model.Subject{jobBob},
			ACL: []bulk.ACE{{Grantee: jobBob, Level: model.LevelWrite}}},
		{Operation: bulk.OpCreate, Grants: []model.GrantInput{jobInput(doc("d000"), jobCarol, model.LevelRead)}},
	}
	var wg sync.WaitGroup
	results := make([]bulk.JobSummary, len(specs))
	errs := make([]error, len(specs))
	for i, spec := range specs {
		wg.Go(func() {
			sub, err := e.SubmitJob(ctx, testOrg, spec)
			if err == nil {
				sub, err = e.WaitJob(ctx, testOrg, sub.ID)
			}
			results[i], errs[i] = sub, err
		})
	}
	// Readers run while the jobs commit.
	var readErr error
	wg.Go(func() {
		for range 50 {
			_, err := e.Jobs(ctx, testOrg)
			readErr = errors.Join(readErr, err)
		}
	})
	wg.Wait()
	require.NoError(t, readErr)
	for i := range specs {
		require.NoError(t, errs[i])
		assert.Equal(t, bulk.JobSucceeded, results[i].Status)
	}
	for _, r := range resources {
		got := jobLevelsOf(jobACLOf(t, e, testOrg, r))
		// Whatever the interleaving, each step applied whole: alice's entry
		// is there, and only bob's and carol's may be beside it.
		assert.Equal(t, model.LevelRead, got[jobAlice], "on %s", r)
		delete(got, jobAlice)
		if l, ok := got[jobBob]; ok {
			assert.Equal(t, model.LevelWrite, l)
			delete(got, jobBob)
		}
		delete(got, jobCarol)
		assert.Empty(t, got, "on %s", r)
	}
}
