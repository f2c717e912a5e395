package bulk

import (
	"time"

	"github.com/grantdb/grantdb/model"
)

// Operation is what a bulk access job does to each resource in its scope.
type Operation string

// The job operations.
const (
	// OpCreate creates JobSpec.Grants, one step per entity they name, with
	// JobSpec.Mode SkipDuplicates or Upsert.
	OpCreate Operation = "create"
	// OpReplaceAll leaves each resource with exactly JobSpec.ACL (AVEVA's
	// UpdateAll).
	OpReplaceAll Operation = "replace_all"
	// OpReplaceGrantees replaces, on each resource, only the entries of
	// JobSpec.Grantees by their JobSpec.ACL entries (AVEVA's
	// UpdateRoleAccess).
	OpReplaceGrantees Operation = "replace_grantees"
	// OpRevoke removes the grants of JobSpec.Grantees from each resource, or
	// all its grants when none are named.
	OpRevoke Operation = "revoke"
)

// Valid reports whether op is one of the four operations.
func (op Operation) Valid() bool {
	switch op {
	case OpCreate, OpReplaceAll, OpReplaceGrantees, OpRevoke:
		return true
	}
	return false
}

// ACE is one access control entry: a grantee, the level it ends with, and
// whether the entry allows that level or denies it (and every level above).
type ACE struct {
	Grantee model.Subject
	Level   model.Level
	Effect  model.Effect
}

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

// JobStatus is the status of a job or of one of its steps, in AVEVA's words.
type JobStatus string

// The job and step statuses. A job goes from NotStarted to InProgress and
// ends Succeeded, PartiallySucceeded, Failed or Cancelled. A step ends
// Succeeded or Failed; a step a cancelled job never ran is Cancelled.
const (
	JobNotStarted         JobStatus = "NotStarted"
	JobInProgress         JobStatus = "InProgress"
	JobSucceeded          JobStatus = "Succeeded"
	JobPartiallySucceeded JobStatus = "PartiallySucceeded"
	JobFailed             JobStatus = "Failed"
	JobCancelled          JobStatus = "Cancelled"
)

// Ended reports whether s is a final status: nothing more will happen to a
// job or step in it.
func (s JobStatus) Ended() bool {
	switch s {
	case JobSucceeded, JobPartiallySucceeded, JobFailed, JobCancelled:
		return true
	}
	return false
}

// JobSummary is a job's state. The step counts and times are kept current
// while the job runs: StepsProcessed = StepsSucceeded + StepsFailed, and
// TotalSteps, fixed at submit, never changes. StartTime is zero until the job
// starts, EndTime until it ends.
type JobSummary struct {
	ID, Name, Description, RequestedBy string
	Operation                          Operation
	Status                             JobStatus
	StartTime, EndTime                 time.Time
	StepsSucceeded, StepsFailed        int
	StepsProcessed, TotalSteps         int
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
	Resource           model.EntityRef
	Status             JobStatus
	StartTime, EndTime time.Time
	Errors             []model.Error
}
