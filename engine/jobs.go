package engine

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/store"
)

// SubmitJob checks spec and starts it as an asynchronous bulk access job in
// org, returning at once with its summary (NotStarted; or Succeeded for a job
// with no steps). A bad spec is ErrValidation naming the field (see
// bulk.ValidateJobSpec); a bad resource or grant input does not refuse the
// job, it fails its step. The steps are fixed here, one per distinct
// resource, so TotalSteps never changes; the job then runs in the background,
// each step in its own commit. Job ids start with JobIDPrefix and sort by
// submission.
//
// The job's record (summary, spec, steps) is stored with the grants, and each
// change to it is part of a commit. Close stops a running job between steps:
// it stays InProgress (or NotStarted) in the store, with the steps done so far
// done, for a durable engine to resume when it is opened again. On a
// replica with a lease (WithLease), the replica holding the lease runs it.
func (e *Engine) SubmitJob(ctx context.Context, org string, spec bulk.JobSpec) (bulk.JobSummary, error) {
	// Refuse a bad org before checking the spec.
	if err := e.admit(ctx, org); err != nil {
		return bulk.JobSummary{}, err
	}
	if err := bulk.ValidateJobSpec(e.val, spec); err != nil {
		return bulk.JobSummary{}, err
	}
	var sum bulk.JobSummary
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		now := e.clock()
		var err error
		sum, err = bulk.SubmitJobTxn(tx, org, e.jobs.nextID(&tx.ReadTxn, now), spec, now)
		return err
	})
	if err != nil {
		return bulk.JobSummary{}, err
	}
	if !sum.Status.Ended() && e.cfg.lease == nil {
		e.jobs.start(e, org, sum.ID) // with a lease, the holder runs it (lease.go)
	}
	return sum, nil
}

// Job returns the summary of job id in org, current as of the last commit.
// A job that is not there, or is another organisation's, is ErrNotFound.
func (e *Engine) Job(ctx context.Context, org, id string) (bulk.JobSummary, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return bulk.JobSummary{}, err
	}
	return bulk.JobSummaryTxn(v.snap.Read(), org, id)
}

// Jobs returns the summaries of every job of org, newest first.
func (e *Engine) Jobs(ctx context.Context, org string) ([]bulk.JobSummary, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	return bulk.JobSummariesTxn(v.snap.Read(), org)
}

// JobSteps lists the steps of job id in org once it has ended, as AVEVA
// does: in step order, those filter selects, skipping the first skip of them
// and returning at most count (0 means bulk.DefaultStepCount, 100; there is
// no upper limit). Listing the steps of a job that has not ended is
// ErrConflict; a negative skip or count, or an unknown filter, is
// ErrValidation; an unknown job is ErrNotFound. A step of a cancelled job
// that never ran is listed as Cancelled (by FilterAll only).
func (e *Engine) JobSteps(ctx context.Context, org, id string, filter bulk.StepFilter, skip, count int) ([]bulk.JobStep, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	return bulk.JobStepsTxn(v.snap.Read(), org, id, filter, skip, count)
}

// CancelJob cancels job id in org: a job that has not ended becomes
// Cancelled at once, its running step (if any) having committed whole or not
// at all; steps already done stay done, and no further step runs. Cancelling
// a job that has ended returns nil and changes nothing. An unknown job is
// ErrNotFound.
func (e *Engine) CancelJob(ctx context.Context, org, id string) error {
	_, err := e.write(ctx, org, func(tx *store.WriteTxn) error {
		_, err := bulk.CancelJobTxn(tx, org, id, e.clock())
		return err
	})
	return err
}

// WaitJob blocks until job id in org has ended and returns its final
// summary. It returns ctx's error when ctx is done first, ErrClosed when the
// engine is closed first, and ErrConflict when the job stopped without
// ending (a commit of one of its steps failed; the error says why). On a
// replica with a lease (WithLease) the job may run on another replica:
// WaitJob waits until the job's end has reached this one through the log.
func (e *Engine) WaitJob(ctx context.Context, org, id string) (bulk.JobSummary, error) {
	if e.cfg.lease != nil {
		return e.waitJobLeased(ctx, org, id)
	}
	sum, err := e.Job(ctx, org, id)
	if err != nil || sum.Status.Ended() {
		return sum, err
	}
	if h, ok := e.jobs.handle(id); ok {
		select {
		case <-h.done:
		case <-ctx.Done():
			return bulk.JobSummary{}, ctx.Err()
		}
		if sum, err = e.Job(ctx, org, id); err != nil || sum.Status.Ended() {
			return sum, err
		}
		if h.err != nil {
			return bulk.JobSummary{}, fmt.Errorf("%w: %w", jobNotRunningError(id), h.err)
		}
	}
	// The runner may have ended the job and left since the first read.
	if sum, err = e.Job(ctx, org, id); err != nil || sum.Status.Ended() {
		return sum, err
	}
	return bulk.JobSummary{}, jobNotRunningError(id)
}
