package model

// The vocabulary of bulk writes and bulk access jobs, defined here once so
// that package bulk (which gives them meaning) and package store (which keeps
// jobs) use the same typed values. Package bulk re-exports every name under
// its own (bulk.Operation, bulk.JobStatus, bulk.Mode, bulk.ACE, ...): that
// is the name applications use.

// JobOperation is what a bulk access job does to each resource in its scope.
type JobOperation string

// The job operations.
const (
	// JobOpCreate creates the job's grant inputs, one step per entity they
	// name.
	JobOpCreate JobOperation = "create"
	// JobOpReplaceAll leaves each resource with exactly the job's access
	// control list.
	JobOpReplaceAll JobOperation = "replace_all"
	// JobOpReplaceGrantees replaces, on each resource, only the entries of
	// the job's grantees by their access control list entries.
	JobOpReplaceGrantees JobOperation = "replace_grantees"
	// JobOpRevoke removes the grants of the job's grantees from each
	// resource, or all its grants when none are named.
	JobOpRevoke JobOperation = "revoke"
)

// Valid reports whether op is one of the four operations.
func (op JobOperation) Valid() bool {
	switch op {
	case JobOpCreate, JobOpReplaceAll, JobOpReplaceGrantees, JobOpRevoke:
		return true
	}
	return false
}

// JobStatus is the status of a job or of one of its steps.
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

// Valid reports whether s is one of the six statuses.
func (s JobStatus) Valid() bool {
	return s == JobNotStarted || s == JobInProgress || s.Ended()
}

// Ended reports whether s is a final status: nothing more will happen to a
// job or step in it.
func (s JobStatus) Ended() bool {
	switch s {
	case JobSucceeded, JobPartiallySucceeded, JobFailed, JobCancelled:
		return true
	}
	return false
}

// BulkMode says what a batch of grant inputs does with duplicates: inputs
// whose (entity, grantee) already has a grant, or that repeat an earlier
// input of the batch.
type BulkMode int

// The batch modes.
const (
	// BulkSkipDuplicates (the zero value) skips duplicates, fails invalid
	// inputs and creates the rest.
	BulkSkipDuplicates BulkMode = iota
	// BulkAllOrNothing refuses the whole batch when any input is invalid or
	// a duplicate: nothing is written.
	BulkAllOrNothing
	// BulkUpsert gives a duplicate the new level and window, keeping its id.
	BulkUpsert
)

// Valid reports whether m is one of the three modes.
func (m BulkMode) Valid() bool { return m >= BulkSkipDuplicates && m <= BulkUpsert }

// ACE is one access control entry: a grantee, the level it ends with, and
// whether the entry allows that level or denies it (and every level above).
type ACE struct {
	Grantee Subject
	Level   Level
	Effect  Effect
}
