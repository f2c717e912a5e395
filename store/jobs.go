package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/grantdb/grantdb/model"
)

// Job is the stored summary of a bulk access job. The store keeps it as
// given; what the fields mean (statuses, operations) is package bulk's.
type Job struct {
	Org, ID                        string
	Name, Description, RequestedBy string
	Operation                      string
	Status                         string
	SubmitTime, StartTime, EndTime time.Time
	StepsSucceeded, StepsFailed    int
	StepsProcessed, TotalSteps     int
}

// JobSpec is what a job does to each of its steps' resources, stored once
// when the job is submitted. Its slices are shared with the stored row:
// read them, never write through them.
type JobSpec struct {
	Org, JobID  string
	Operation   string
	Mode        int
	RequestedBy string
	Grants      []model.GrantInput
	ACL         []JobACE
	Grantees    []model.Subject
	EntityType  string
}

// JobACE is one entry of a stored job's access control list.
type JobACE struct {
	Grantee model.Subject
	Level   model.Level
	Effect  model.Effect
}

// JobStep is the stored state of one step of a job: the resource it applies
// to, its status, times and errors. Index is its 0-based position in the job.
// Errors is shared with the stored row: never write through it.
type JobStep struct {
	Org, JobID         string
	Index              int
	Resource           model.EntityRef
	Status             string
	StartTime, EndTime time.Time
	Errors             []model.Error
}

// JobChange is one job row written by a commit: exactly one of Job, Spec and
// Step is set, and points at the stored, immutable row.
type JobChange struct {
	Job  *Job
	Spec *JobSpec
	Step *JobStep
}

type jobRow struct {
	key string
	j   Job
}

type jobSpecRow struct {
	key string
	s   JobSpec
}

type jobStepRow struct {
	key string
	s   JobStep
}

// jobKey is the unique key of a job and of its spec: org, job id. With a
// trailing sep it is the prefix of the job's steps.
func jobKey(org, id string) string { return org + sep + id }

// jobStepKey orders a job's steps by index: eight hex digits sort as the
// numbers they write.
func jobStepKey(org, id string, index int) string {
	const hex = "0123456789abcdef"
	var b [8]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = hex[index&15]
		index >>= 4
	}
	return jobKey(org, id) + sep + string(b[:])
}

// MaxJobSteps is the most steps one job may have.
const MaxJobSteps = 1<<31 - 1

// Job returns the summary of job id in org, if it is stored.
func (r *ReadTxn) Job(org, id string) (Job, bool) {
	raw, err := r.txn.First(tableJobs, indexID, jobKey(org, id))
	if err != nil || raw == nil {
		return Job{}, false
	}
	return raw.(*jobRow).j, true
}

// JobsOf calls fn with each job of org, oldest first (by id), until fn
// returns false.
func (r *ReadTxn) JobsOf(org string, fn func(j Job) bool) error {
	pre := prefix(org)
	it, err := r.txn.LowerBound(tableJobs, indexID, pre)
	if err != nil {
		return fmt.Errorf("store: scan jobs: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*jobRow)
		if !strings.HasPrefix(row.key, pre) || !fn(row.j) {
			return nil
		}
	}
	return nil
}

// EachJob calls fn with every job of every organisation, oldest first (by
// id), until fn returns false: for resuming unfinished jobs after a load.
func (r *ReadTxn) EachJob(fn func(j Job) bool) error {
	it, err := r.txn.Get(tableJobs, indexJobID)
	if err != nil {
		return fmt.Errorf("store: scan all jobs: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !fn(raw.(*jobRow).j) {
			return nil
		}
	}
	return nil
}

// MaxJobID returns the greatest job id stored in any organisation, or ""
// when there is none.
func (r *ReadTxn) MaxJobID() string {
	raw, err := r.txn.Last(tableJobs, indexJobID)
	if err != nil || raw == nil {
		return ""
	}
	return raw.(*jobRow).j.ID
}

// JobSpec returns the spec of job id in org, if it is stored.
func (r *ReadTxn) JobSpec(org, id string) (JobSpec, bool) {
	raw, err := r.txn.First(tableJobSpecs, indexID, jobKey(org, id))
	if err != nil || raw == nil {
		return JobSpec{}, false
	}
	return raw.(*jobSpecRow).s, true
}

// JobStep returns step index of job id in org, if it is stored.
func (r *ReadTxn) JobStep(org, id string, index int) (JobStep, bool) {
	if index < 0 || index > MaxJobSteps {
		return JobStep{}, false
	}
	raw, err := r.txn.First(tableJobSteps, indexID, jobStepKey(org, id, index))
	if err != nil || raw == nil {
		return JobStep{}, false
	}
	return raw.(*jobStepRow).s, true
}

// JobSteps calls fn with each step of job id in org, in step order, until
// fn returns false.
func (r *ReadTxn) JobSteps(org, id string, fn func(s JobStep) bool) error {
	pre := jobKey(org, id) + sep
	it, err := r.txn.LowerBound(tableJobSteps, indexID, pre)
	if err != nil {
		return fmt.Errorf("store: scan job steps: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*jobStepRow)
		if !strings.HasPrefix(row.key, pre) || !fn(row.s) {
			return nil
		}
	}
	return nil
}

// PutJob stores j under (org, id), replacing the summary stored there.
func (w *WriteTxn) PutJob(j Job) error {
	row := &jobRow{key: jobKey(j.Org, j.ID), j: j}
	if err := w.txn.Insert(tableJobs, row); err != nil {
		return fmt.Errorf("store: put job: %w", err)
	}
	w.changes.Jobs = append(w.changes.Jobs, JobChange{Job: &row.j})
	return nil
}

// PutJobSpec stores s under (org, job id). A spec is written once, when its
// job is submitted; the caller keeps its slices unchanged from then on.
func (w *WriteTxn) PutJobSpec(s JobSpec) error {
	row := &jobSpecRow{key: jobKey(s.Org, s.JobID), s: s}
	if err := w.txn.Insert(tableJobSpecs, row); err != nil {
		return fmt.Errorf("store: put job spec: %w", err)
	}
	w.changes.Jobs = append(w.changes.Jobs, JobChange{Spec: &row.s})
	return nil
}

// PutJobStep stores s under (org, job id, index), replacing the step stored
// there. The caller keeps s.Errors unchanged from then on.
func (w *WriteTxn) PutJobStep(s JobStep) error {
	if s.Index < 0 || s.Index > MaxJobSteps {
		return fmt.Errorf("store: put job step: index %d out of range", s.Index)
	}
	row := &jobStepRow{key: jobStepKey(s.Org, s.JobID, s.Index), s: s}
	if err := w.txn.Insert(tableJobSteps, row); err != nil {
		return fmt.Errorf("store: put job step: %w", err)
	}
	w.changes.Jobs = append(w.changes.Jobs, JobChange{Step: &row.s})
	return nil
}
