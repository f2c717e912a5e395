package main

import (
	"context"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// jobSteps is how many steps spec would have: its distinct resources, or
// for a namespace-wide job the streams that have a grant now, counted up to
// limit+1 only (enough to refuse it).
func (s *server) jobSteps(ctx context.Context, org string, spec bulk.JobSpec, limit int) (int, error) {
	if spec.EntityType == "" {
		seen := make(map[model.EntityRef]bool, min(len(spec.Resources), limit+1))
		for _, r := range spec.Resources {
			seen[r] = true
		}
		return len(seen), nil
	}
	// Grants are listed by entity, so a stream's grants are consecutive.
	n, last := 0, ""
	q := model.GrantQuery{Entity: model.EntityRef{Type: spec.EntityType}, Limit: model.MaxPageSize}
	for n <= limit {
		page, err := s.eng.ListGrants(ctx, org, q)
		if err != nil {
			return 0, err
		}
		for _, g := range page.Grants {
			if g.Entity.ID != last {
				n, last = n+1, g.Entity.ID
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	return n, nil
}

// checkJobLimits refuses a job that would take org past a job limit: too
// many steps (400 naming ResourceIds, or Scope for a namespace-wide job),
// too many jobs not yet ended (429 with Retry-After), or more jobs or steps
// kept than the retention allows (400: the engine keeps every ended job's
// steps, so waiting would not help). The caller holds s.jobSubmit.
func (s *server) checkJobLimits(ctx context.Context, org string, spec bulk.JobSpec) error {
	lim := s.limits
	steps, err := s.jobSteps(ctx, org, spec, lim.maxJobSteps)
	if err != nil {
		return err
	}
	if steps > lim.maxJobSteps {
		field := "ResourceIds"
		if spec.EntityType != "" {
			field = "Scope"
		}
		return badRequest(field, "a job may have at most %d steps (one per resource); this one would have more: split it into several jobs", lim.maxJobSteps)
	}
	jobs, err := s.eng.Jobs(ctx, org)
	if err != nil {
		return err
	}
	return jobCountLimits(lim, steps, jobs)
}

// jobCountLimits checks a new job of steps steps against the jobs org has.
func jobCountLimits(lim limits, steps int, jobs []bulk.JobSummary) error {
	running, kept := 0, steps
	for _, j := range jobs {
		if !j.Status.Ended() {
			running++
		}
		kept += j.TotalSteps
	}
	switch {
	case running >= lim.maxJobsInFlight:
		return tooMany("", "this namespace has %d jobs not yet ended, the most it may have; retry when one has ended", running)
	case len(jobs) >= lim.maxRetainedJobs:
		return badRequest("", "this namespace keeps %d jobs, the most it may keep (ended jobs are kept for good)", len(jobs))
	case kept > lim.maxRetainedJobSteps:
		return badRequest("", "this job would take this namespace's kept job steps to %d, past the %d it may keep (ended jobs' steps are kept for good)", kept, lim.maxRetainedJobSteps)
	}
	return nil
}
