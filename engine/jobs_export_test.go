package engine

import "context"

// SetJobStepHook makes the engine's job runners call fn before each step's
// commit, outside the write lock, with the runner's context (done once the
// engine closes) and the step's number within the run. Set it before
// submitting any job.
func SetJobStepHook(e *Engine, fn func(ctx context.Context, jobID string, step int)) {
	e.jobs.beforeStep = fn
}
