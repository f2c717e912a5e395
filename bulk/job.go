package bulk

import (
	"time"

	"github.com/grantdb/grantdb/model"
)

// Operation is what a bulk access job does to each resource in its scope
// (defined in model, so that the store keeps it typed).
type Operation = model.JobOperation

// The job operations.
const (
	// OpCreate creates JobSpec.Grants, one step per entity they name, with
	// JobSpec.Mode SkipDuplicates or Upsert.
	OpCreate = model.JobOpCreate
	// OpReplaceAll leaves each resource with exactly JobSpec.ACL (AVEVA's
	// UpdateAll).
	OpReplaceAll = model.JobOpReplaceAll
	// OpReplaceGrantees replaces, on each resource, only the entries of
	// JobSpec.Grantees by their JobSpec.ACL entries (AVEVA's
	// UpdateRoleAccess).
	OpReplaceGrantees = model.JobOpReplaceGrantees
	// OpRevoke removes the grants of JobSpec.Grantees from each resource, or
	// all its grants when none are named.
	OpRevoke = model.JobOpRevoke
)

// ACE is one access control entry: a grantee, the level it ends with, and
// whether the entry allows that level or denies it (and every level above).
type ACE = model.ACE

// JobSpec describes a bulk access job. The scope of the replace and revoke
// operations is either Resources or EntityType (the namespace scope: every
// entity of that type in the organisation that has at least one grant when
// the job is submitted), never both; OpCreate takes its entities from Grants
// and has no scope.
type JobSpec struct {
	Name, Description string
	// RequestedBy is who asked for the job; grants the job creates are
	// granted by it (an OpCreate input with its own GrantedBy keeps it).
	RequestedBy string
	Operation   Operation
	// Mode is SkipDuplicates or Upsert for OpCreate; the other operations
	// ignore it.
	Mode Mode
	// Grants are the inputs of OpCreate.
	Grants []model.GrantInput
	// ACL is, for OpReplaceAll and OpReplaceGrantees, the entries each
	// resource ends with; at most one per (grantee, effect).
	ACL []ACE
	// Grantees are, for OpReplaceGrantees, whose entries are replaced, and
	// for OpRevoke, whose grants are revoked (none: all).
	Grantees []model.Subject
	// Resources is the scope of the replace and revoke operations...
	Resources []model.EntityRef
	// ... or EntityType, the namespace scope.
	EntityType string
}

// JobStatus is the status of a job or of one of its steps, in AVEVA's words
// (defined in model, so that the store keeps it typed).
type JobStatus = model.JobStatus

// The job and step statuses. A job goes from NotStarted to InProgress and
// ends Succeeded, PartiallySucceeded, Failed or Cancelled. A step ends
// Succeeded or Failed; a step a cancelled job never ran is Cancelled.
const (
	JobNotStarted         = model.JobNotStarted
	JobInProgress         = model.JobInProgress
	JobSucceeded          = model.JobSucceeded
	JobPartiallySucceeded = model.JobPartiallySucceeded
	JobFailed             = model.JobFailed
	JobCancelled          = model.JobCancelled
)

// JobSummary is a job's state. The step counts and times are kept current
// while the job runs: StepsProcessed = StepsSucceeded + StepsFailed, and
// TotalSteps, fixed at submit, never changes. StartTime is zero until the job
// starts, EndTime until it ends.
type JobSummary struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	RequestedBy    string    `json:"requested_by"`
	Operation      Operation `json:"operation"`
	Status         JobStatus `json:"status"`
	StartTime      time.Time `json:"start_time,omitzero"`
	EndTime        time.Time `json:"end_time,omitzero"`
	StepsSucceeded int       `json:"steps_succeeded"`
	StepsFailed    int       `json:"steps_failed"`
	StepsProcessed int       `json:"steps_processed"`
	TotalSteps     int       `json:"total_steps"`
}

// StepFilter selects the steps JobSteps lists.
type StepFilter int

// The step filters.
const (
	// FilterAll (the zero value) lists every step.
	FilterAll StepFilter = iota
	// FilterSuccess lists the steps that succeeded.
	FilterSuccess
	// FilterFailure lists the steps that failed.
	FilterFailure
)

// Valid reports whether f is one of the three filters.
func (f StepFilter) Valid() bool { return f >= FilterAll && f <= FilterFailure }

// Match reports whether f selects a step in status s.
func (f StepFilter) Match(s JobStatus) bool {
	switch f {
	case FilterSuccess:
		return s == JobSucceeded
	case FilterFailure:
		return s == JobFailed
	}
	return true
}

// JobStep is one step of a job: the resource it applies to, its status and
// times, and, when it failed, why (one error per bad input of the step).
type JobStep struct {
	Resource  model.EntityRef `json:"resource"`
	Status    JobStatus       `json:"status"`
	StartTime time.Time       `json:"start_time,omitzero"`
	EndTime   time.Time       `json:"end_time,omitzero"`
	Errors    []model.Error   `json:"errors,omitempty"`
}
