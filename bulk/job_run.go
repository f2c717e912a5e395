package bulk

import (
	"context"
	"errors"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// JobCommitter is the engine's one write path as a job's steps use it.
type JobCommitter interface {
	// CommitJob runs fill in one write transaction and commits it when fill
	// returns nil; on any error nothing is committed. Writes are serialised:
	// fill runs under the engine's write lock.
	CommitJob(ctx context.Context, fill func(tx *store.WriteTxn) error) error
	// Now returns the engine's time, in UTC.
	Now() time.Time
	// NewGrantID draws the next grant id. It is called only inside fill.
	NewGrantID(now time.Time) string
}

// JobRun applies the steps of one job, each in its own commit. It is used
// by one goroutine at a time.
type JobRun struct {
	c       JobCommitter
	v       *model.Validator
	org, id string
	spec    store.JobSpec
	// grantsOf holds, for OpCreate, the indexes into spec.Grants of each
	// step's entity.
	grantsOf map[model.EntityRef][]int
	grantees map[model.Subject]bool
}

// StartJob starts (or, after a restart, resumes) job id in org: it marks a
// NotStarted job InProgress with its StartTime, in one commit, and returns
// the run that applies its steps. It returns a nil run when the job has
// already ended, and ErrNotFound when it is not there.
func StartJob(ctx context.Context, c JobCommitter, v *model.Validator, org, id string) (*JobRun, error) {
	var run *JobRun
	err := c.CommitJob(ctx, func(tx *store.WriteTxn) error {
		run = nil
		j, ok := tx.Job(org, id)
		spec, okSpec := tx.JobSpec(org, id)
		if !ok || !okSpec {
			return jobNotFoundError(id)
		}
		if j.Status.Ended() {
			return nil
		}
		run = newJobRun(c, v, spec)
		if j.Status == JobNotStarted {
			j.Status, j.StartTime = JobInProgress, c.Now()
			return tx.PutJob(j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

func newJobRun(c JobCommitter, v *model.Validator, spec store.JobSpec) *JobRun {
	r := &JobRun{c: c, v: v, org: spec.Org, id: spec.JobID, spec: spec}
	if spec.Operation == OpCreate {
		r.grantsOf = make(map[model.EntityRef][]int)
		for i, in := range spec.Grants {
			r.grantsOf[in.Entity] = append(r.grantsOf[in.Entity], i)
		}
	}
	if len(spec.Grantees) > 0 {
		r.grantees = make(map[model.Subject]bool, len(spec.Grantees))
		for _, s := range spec.Grantees {
			r.grantees[s] = true
		}
	}
	return r
}

// Step applies the job's first unfinished step in one commit: the step's
// writes to grants (all or none of them), its status, times and errors, and
// the job's counts; the commit of the last step also ends the job. A step
// that fails (a bad resource or input) writes no grant and records why. Step
// reports whether steps remain; it applies nothing, and reports none, once
// the job has ended (for instance because it was cancelled). On error (the
// engine closed, ctx done, a write failed) nothing of the step is committed
// and the job stays as it was, to be resumed.
func (r *JobRun) Step(ctx context.Context) (more bool, err error) {
	err = r.c.CommitJob(ctx, func(tx *store.WriteTxn) error {
		more = false
		j, ok := tx.Job(r.org, r.id)
		if !ok {
			return jobNotFoundError(r.id)
		}
		if j.Status.Ended() || j.StepsProcessed >= j.TotalSteps {
			return nil
		}
		step, ok := tx.JobStep(r.org, r.id, j.StepsProcessed)
		if !ok {
			return jobNotFoundError(r.id)
		}
		step.StartTime = r.c.Now()
		failures, err := r.applyTxn(tx, step.Resource, step.StartTime)
		if err != nil {
			return err
		}
		step.EndTime = r.c.Now()
		step.Status, step.Errors = JobSucceeded, nil
		j.StepsProcessed++
		if len(failures) > 0 {
			step.Status, step.Errors = JobFailed, failures
			j.StepsFailed++
		} else {
			j.StepsSucceeded++
		}
		if j.Status == JobNotStarted {
			j.Status, j.StartTime = JobInProgress, step.StartTime
		}
		if j.StepsProcessed == j.TotalSteps {
			j.Status, j.EndTime = jobFinalStatus(j), step.EndTime
		}
		more = j.StepsProcessed < j.TotalSteps
		if err := tx.PutJobStep(step); err != nil {
			return err
		}
		return tx.PutJob(j)
	})
	if err != nil {
		return false, err
	}
	return more, nil
}

// jobFinalStatus is the status of a job whose steps have all been processed.
func jobFinalStatus(j store.Job) JobStatus {
	switch {
	case j.StepsFailed == 0:
		return JobSucceeded
	case j.StepsSucceeded == 0:
		return JobFailed
	default:
		return JobPartiallySucceeded
	}
}

// CancelJobTxn cancels job id in org in tx, at now: a job that has not
// ended becomes Cancelled, its steps not yet processed become Cancelled, and
// the steps already done stay done. Cancelling an ended job changes nothing.
// It returns the job's summary afterwards; an unknown job is ErrNotFound.
func CancelJobTxn(tx *store.WriteTxn, org, id string, now time.Time) (JobSummary, error) {
	if err := model.ID(jobFieldJobID, id); err != nil {
		return JobSummary{}, err
	}
	j, ok := tx.Job(org, id)
	if !ok {
		return JobSummary{}, jobNotFoundError(id)
	}
	if j.Status.Ended() {
		return jobSummaryOf(j), nil
	}
	for i := j.StepsProcessed; i < j.TotalSteps; i++ {
		step, ok := tx.JobStep(org, id, i)
		if !ok {
			return JobSummary{}, jobNotFoundError(id)
		}
		step.Status = JobCancelled
		if err := tx.PutJobStep(step); err != nil {
			return JobSummary{}, err
		}
	}
	j.Status, j.EndTime = JobCancelled, now
	if err := tx.PutJob(j); err != nil {
		return JobSummary{}, err
	}
	return jobSummaryOf(j), nil
}

// jobStepError turns a refusal into the form a step records.
func jobStepError(err error) model.Error {
	var me *model.Error
	if errors.As(err, &me) {
		return *me
	}
	return model.Error{Code: model.CodeValidation, Message: err.Error()}
}
