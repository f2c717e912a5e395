package bulk

import (
	"slices"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// DefaultStepCount is how many steps JobSteps lists when count is 0, as
// AVEVA's list calls do by default.
const DefaultStepCount = 100

// JobSummaryTxn returns the summary of job id in org. A job that is not
// there, or is another organisation's, is ErrNotFound.
func JobSummaryTxn(tx *store.ReadTxn, org, id string) (JobSummary, error) {
	if err := model.ID(jobFieldJobID, id); err != nil {
		return JobSummary{}, err
	}
	j, ok := tx.Job(org, id)
	if !ok {
		return JobSummary{}, jobNotFoundError(id)
	}
	return jobSummaryOf(j), nil
}

// JobSummariesTxn returns the summaries of org's jobs, newest first.
func JobSummariesTxn(tx *store.ReadTxn, org string) ([]JobSummary, error) {
	var out []JobSummary
	err := tx.JobsOf(org, func(j store.Job) bool {
		out = append(out, jobSummaryOf(j))
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// JobStepsTxn lists the steps of job id in org that filter selects, in step
// order, skipping the first skip of them and returning at most count (0:
// DefaultStepCount). Steps are listed once the job has ended, as AVEVA does:
// before that the call is ErrConflict. A negative skip or count, or an
// unknown filter, is ErrValidation; an unknown job ErrNotFound.
func JobStepsTxn(tx *store.ReadTxn, org, id string, filter StepFilter, skip, count int) ([]JobStep, error) {
	switch {
	case !filter.Valid():
		return nil, model.NewError(model.CodeValidation, jobFieldFilter, "filter must be one of all, success, failure")
	case skip < 0:
		return nil, model.NewError(model.CodeValidation, jobFieldSkip, "skip must not be negative")
	case count < 0:
		return nil, model.NewError(model.CodeValidation, jobFieldCount, "count must not be negative")
	case count == 0:
		count = DefaultStepCount
	}
	sum, err := JobSummaryTxn(tx, org, id)
	if err != nil {
		return nil, err
	}
	if !sum.Status.Ended() {
		return nil, model.NewError(model.CodeConflict, jobFieldJobID,
			"job %q is %s: its steps are listed once it has ended", id, sum.Status)
	}
	out := make([]JobStep, 0, min(count, sum.TotalSteps))
	err = tx.JobSteps(org, id, func(s store.JobStep) bool {
		if !filter.Match(s.Status) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, jobStepOf(s))
		return len(out) < count
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func jobNotFoundError(id string) error {
	return model.NewError(model.CodeNotFound, jobFieldJobID, "job %q not found", id)
}

func jobSummaryOf(j store.Job) JobSummary {
	return JobSummary{
		ID: j.ID, Name: j.Name, Description: j.Description, RequestedBy: j.RequestedBy,
		Operation:      j.Operation,
		Status:         j.Status,
		StartTime:      j.StartTime,
		EndTime:        j.EndTime,
		StepsSucceeded: j.StepsSucceeded,
		StepsFailed:    j.StepsFailed,
		StepsProcessed: j.StepsProcessed,
		TotalSteps:     j.TotalSteps,
	}
}

// jobStepOf converts a stored step, copying its errors so that the caller
// may change them.
func jobStepOf(s store.JobStep) JobStep {
	return JobStep{
		Resource:  s.Resource,
		Status:    s.Status,
		StartTime: s.StartTime,
		EndTime:   s.EndTime,
		Errors:    slices.Clone(s.Errors),
	}
}
