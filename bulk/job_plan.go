package bulk

import (
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// SubmitJobTxn plans the steps of spec, which ValidateJobSpec accepted, and
// stores the job as id in org: its summary (NotStarted), its spec and one
// NotStarted step per distinct resource, in tx. The steps are fixed here, so
// TotalSteps never changes: OpCreate has one step per entity its Grants name,
// in order of first mention; a Resources scope one per distinct resource, in
// the order given; a namespace scope one per entity of that type that has a
// grant not ended at now, in id order. A job with no steps is stored
// Succeeded, started and ended at now. Nothing is written on error.
func SubmitJobTxn(tx *store.WriteTxn, org, id string, spec JobSpec, now time.Time) (JobSummary, error) {
	resources, err := planJobSteps(&tx.ReadTxn, org, spec, now)
	if err != nil {
		return JobSummary{}, err
	}
	if len(resources) > store.MaxJobSteps {
		return JobSummary{}, model.NewError(model.CodeValidation, jobFieldResources,
			"a job has at most %d steps, this one would have %d", store.MaxJobSteps, len(resources))
	}
	job := store.Job{
		Org: org, ID: id,
		Name: spec.Name, Description: spec.Description, RequestedBy: spec.RequestedBy,
		Operation:  string(spec.Operation),
		Status:     string(JobNotStarted),
		SubmitTime: now,
		TotalSteps: len(resources),
	}
	if len(resources) == 0 {
		job.Status, job.StartTime, job.EndTime = string(JobSucceeded), now, now
	}
	if err := tx.PutJob(job); err != nil {
		return JobSummary{}, err
	}
	if err := tx.PutJobSpec(storedJobSpec(org, id, spec)); err != nil {
		return JobSummary{}, err
	}
	for i, r := range resources {
		step := store.JobStep{Org: org, JobID: id, Index: i, Resource: r, Status: string(JobNotStarted)}
		if err := tx.PutJobStep(step); err != nil {
			return JobSummary{}, err
		}
	}
	return jobSummaryOf(job), nil
}

// planJobSteps returns the resources of the job's steps, one per distinct
// resource.
func planJobSteps(tx *store.ReadTxn, org string, spec JobSpec, now time.Time) ([]model.EntityRef, error) {
	switch {
	case spec.Operation == OpCreate:
		refs := make([]model.EntityRef, len(spec.Grants))
		for i, in := range spec.Grants {
			refs[i] = in.Entity
		}
		return distinctResources(refs), nil
	case spec.EntityType != "":
		return entitiesWithGrants(tx, org, spec.EntityType, now)
	default:
		return distinctResources(spec.Resources), nil
	}
}

// distinctResources returns refs without repeats, in order of first occurrence.
func distinctResources(refs []model.EntityRef) []model.EntityRef {
	seen := make(map[model.EntityRef]struct{}, len(refs))
	out := make([]model.EntityRef, 0, len(refs))
	for _, r := range refs {
		if _, dup := seen[r]; !dup {
			seen[r] = struct{}{}
			out = append(out, r)
		}
	}
	return out
}

// entitiesWithGrants returns, in id order, every entity of type typ in org
// with at least one grant not ended at now: the namespace scope.
func entitiesWithGrants(tx *store.ReadTxn, org, typ string, now time.Time) ([]model.EntityRef, error) {
	var out []model.EntityRef
	err := tx.ScanGrants(store.GrantScan{Org: org, Entity: model.EntityRef{Type: typ}}, func(_ string, g model.Grant) bool {
		// Grants come in entity order, so a repeat is always the last one.
		if g.EndedAt(now) || len(out) > 0 && out[len(out)-1] == g.Entity {
			return true
		}
		out = append(out, g.Entity)
		return true
	})
	return out, err
}

// storedJobSpec copies what the steps need out of spec, so that the caller may
// change spec afterwards.
func storedJobSpec(org, id string, spec JobSpec) store.JobSpec {
	s := store.JobSpec{
		Org: org, JobID: id,
		Operation:   string(spec.Operation),
		Mode:        int(spec.Mode),
		RequestedBy: spec.RequestedBy,
		Grants:      append([]model.GrantInput(nil), spec.Grants...),
		Grantees:    append([]model.Subject(nil), spec.Grantees...),
		EntityType:  spec.EntityType,
	}
	if len(spec.ACL) > 0 {
		s.ACL = make([]store.JobACE, len(spec.ACL))
		for i, ace := range spec.ACL {
			s.ACL[i] = store.JobACE{Grantee: ace.Grantee, Level: ace.Level, Effect: ace.Effect}
		}
	}
	return s
}
