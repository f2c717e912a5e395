package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

func newJobTestStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.New()
	require.NoError(t, err)
	return s
}

// putJob stores a job of org with n NotStarted steps and its spec, in one
// commit, and returns the change set.
func putJob(t testing.TB, s *store.Store, org, id string, n int) store.ChangeSet {
	t.Helper()
	w := s.Write()
	defer w.Abort()
	require.NoError(t, w.PutJob(store.Job{Org: org, ID: id, Status: model.JobNotStarted, TotalSteps: n}))
	require.NoError(t, w.PutJobSpec(store.JobSpec{Org: org, JobID: id, Operation: model.JobOpRevoke,
		Grantees: []model.Subject{model.User("ann")}}))
	for i := range n {
		require.NoError(t, w.PutJobStep(store.JobStep{Org: org, JobID: id, Index: i,
			Resource: model.EntityRef{Type: "stream", ID: string(rune('a' + i))}, Status: model.JobNotStarted}))
	}
	cs, _ := w.Commit()
	return cs
}

func TestJobRows(t *testing.T) {
	s := newJobTestStore(t)
	cs := putJob(t, s, "org_a", "job_2", 20)
	putJob(t, s, "org_b", "job_3", 1)
	putJob(t, s, "org_a", "job_1", 0)

	assert.Equal(t, uint64(1), cs.Revision)
	require.Len(t, cs.Jobs, 22)
	assert.Equal(t, "job_2", cs.Jobs[0].Job.ID)
	assert.Equal(t, model.JobOpRevoke, cs.Jobs[1].Spec.Operation)
	for i, c := range cs.Jobs[2:] {
		require.NotNil(t, c.Step)
		assert.Nil(t, c.Job)
		assert.Nil(t, c.Spec)
		assert.Equal(t, i, c.Step.Index)
	}

	r := s.Snapshot().Read()
	j, ok := r.Job("org_a", "job_2")
	require.True(t, ok)
	assert.Equal(t, 20, j.TotalSteps)
	_, ok = r.Job("org_b", "job_2")
	assert.False(t, ok, "another organisation's job")
	spec, ok := r.JobSpec("org_a", "job_2")
	require.True(t, ok)
	assert.Equal(t, []model.Subject{model.User("ann")}, spec.Grantees)

	// Steps come in index order, across the 0x0f/0x10 boundary too.
	var idx []int
	require.NoError(t, r.JobSteps("org_a", "job_2", func(st store.JobStep) bool {
		idx = append(idx, st.Index)
		return true
	}))
	require.Len(t, idx, 20)
	assert.IsIncreasing(t, idx)
	st, ok := r.JobStep("org_a", "job_2", 16)
	require.True(t, ok)
	assert.Equal(t, "q", st.Resource.ID)
	_, ok = r.JobStep("org_a", "job_2", 20)
	assert.False(t, ok)
	_, ok = r.JobStep("org_a", "job_2", -1)
	assert.False(t, ok)
	// A job's steps are not another job's.
	n := 0
	require.NoError(t, r.JobSteps("org_a", "job_1", func(store.JobStep) bool { n++; return true }))
	assert.Zero(t, n)

	var ids []string
	require.NoError(t, r.JobsOf("org_a", func(j store.Job) bool { ids = append(ids, j.ID); return true }))
	assert.Equal(t, []string{"job_1", "job_2"}, ids)
	ids = nil
	require.NoError(t, r.EachJob(func(j store.Job) bool { ids = append(ids, j.ID); return true }))
	assert.Equal(t, []string{"job_1", "job_2", "job_3"}, ids)
	assert.Equal(t, "job_3", r.MaxJobID())
	assert.Empty(t, newJobTestStore(t).Snapshot().Read().MaxJobID())
}

func TestJobRowsAreVersioned(t *testing.T) {
	s := newJobTestStore(t)
	putJob(t, s, "org_a", "job_1", 2)
	before := s.Snapshot()

	w := s.Write()
	j, ok := w.Job("org_a", "job_1")
	require.True(t, ok)
	j.Status, j.StepsProcessed, j.StartTime = model.JobInProgress, 1, time.Unix(1, 0).UTC()
	require.NoError(t, w.PutJob(j))
	st, ok := w.JobStep("org_a", "job_1", 0)
	require.True(t, ok)
	st.Status, st.Errors = model.JobFailed, []model.Error{{Code: model.CodeValidation, Message: "bad"}}
	require.NoError(t, w.PutJobStep(st))
	cs, _ := w.Commit()
	require.Len(t, cs.Jobs, 2)

	old, _ := before.Read().Job("org_a", "job_1")
	assert.Equal(t, model.JobNotStarted, old.Status, "a snapshot does not see later commits")
	cur, _ := s.Snapshot().Read().Job("org_a", "job_1")
	assert.Equal(t, model.JobInProgress, cur.Status)
	assert.Equal(t, 1, cur.StepsProcessed)
	got, _ := s.Snapshot().Read().JobStep("org_a", "job_1", 0)
	assert.Equal(t, st.Errors, got.Errors)

	// An aborted transaction leaves nothing.
	w = s.Write()
	require.NoError(t, w.PutJob(store.Job{Org: "org_a", ID: "job_9"}))
	w.Abort()
	_, ok = s.Snapshot().Read().Job("org_a", "job_9")
	assert.False(t, ok)

	w = s.Write()
	defer w.Abort()
	assert.Error(t, w.PutJobStep(store.JobStep{Org: "org_a", JobID: "job_1", Index: -1}))
}
