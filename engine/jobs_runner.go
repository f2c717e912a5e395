package engine

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// JobIDPrefix starts every job id. The rest of a job id sorts by submission,
// as a grant id's does.
const JobIDPrefix = "job_"

// jobRunners runs submitted jobs, one goroutine per job, and stops them all
// on Close. Its zero value is ready to use.
type jobRunners struct {
	mu      sync.Mutex
	ctx     context.Context // cancelled by stop; set on first start
	cancel  context.CancelFunc
	stopped bool
	// running holds the handle of each job whose goroutine runs, and of each
	// job whose goroutine stopped on an error before the job ended.
	running map[string]*jobHandle
	wg      sync.WaitGroup

	// ids and seeded are used only inside write fills, under writeMu.
	ids    idGen
	seeded bool

	// beforeStep, when set (by tests, before any job is submitted), is
	// called by a runner before each step's commit, outside the write lock.
	beforeStep func(ctx context.Context, jobID string, step int)
}

// jobHandle is one job's runner goroutine.
type jobHandle struct {
	done chan struct{} // closed when the goroutine returns
	err  error         // why it stopped before the job ended; read after done
}

// nextID draws the next job id. It runs inside a write fill: the first call
// makes every new id sort after the stored ones.
func (r *jobRunners) nextID(tx *store.ReadTxn, now time.Time) string {
	if !r.seeded {
		if last := tx.MaxJobID(); last != "" {
			r.ids.seed(GrantIDPrefix + strings.TrimPrefix(last, JobIDPrefix))
		}
		r.seeded = true
	}
	return JobIDPrefix + strings.TrimPrefix(r.ids.next(now), GrantIDPrefix)
}

// start runs job id of org in a new goroutine, unless the runners have been
// stopped: then the job stays as stored, to be resumed by a later Open.
func (r *jobRunners) start(e *Engine, org, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.ctx == nil {
		r.ctx, r.cancel = context.WithCancel(context.Background())
		r.running = make(map[string]*jobHandle)
	}
	h := &jobHandle{done: make(chan struct{})}
	r.running[id] = h
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := e.runJob(r.ctx, org, id)
		h.err = err
		if err == nil {
			r.mu.Lock()
			delete(r.running, id)
			r.mu.Unlock()
		}
		close(h.done)
	}()
}

// handle returns the runner of job id, if one runs or stopped on an error.
func (r *jobRunners) handle(id string) (*jobHandle, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.running[id]
	return h, ok
}

// stop cancels every runner and waits for them to return. A runner stops
// between steps (or in a commit, which then does not happen), so each job it
// ran stays InProgress in the store with its finished steps done.
func (r *jobRunners) stop() {
	r.mu.Lock()
	r.stopped = true
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// resumeJobs starts a runner for every stored job that has not ended,
// oldest first; each goes on from its first unfinished step. A durable engine
// calls it once Open has loaded the store (nothing calls it for an in-memory
// engine, which starts empty).
func (e *Engine) resumeJobs() error {
	var pending []store.Job
	err := e.current.Load().snap.Read().EachJob(func(j store.Job) bool {
		if !j.Status.Ended() {
			pending = append(pending, j)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, j := range pending {
		e.jobs.start(e, j.Org, j.ID)
	}
	return nil
}

// runJob applies the steps of job id of org until it ends, ctx is done or a
// commit fails.
func (e *Engine) runJob(ctx context.Context, org, id string) error {
	run, err := bulk.StartJob(ctx, jobCommitter{e, org}, e.val, org, id)
	if err != nil || run == nil {
		return err
	}
	for step := 0; ; step++ {
		if hook := e.jobs.beforeStep; hook != nil {
			hook(ctx, id, step)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		more, err := run.Step(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// jobCommitter is the engine's one write path as package bulk sees it, for
// the steps of one job of org.
type jobCommitter struct {
	e   *Engine
	org string
}

var _ bulk.JobCommitter = jobCommitter{}

func (c jobCommitter) CommitJob(ctx context.Context, fill func(tx *store.WriteTxn) error) error {
	_, err := c.e.write(ctx, c.org, fill)
	return err
}

func (c jobCommitter) Now() time.Time { return c.e.clock() }

func (c jobCommitter) NewGrantID(now time.Time) string { return c.e.ids.next(now) }

func jobNotRunningError(id string) error {
	return model.NewError(model.CodeConflict, "job_id", "job %q has not ended and is not running", id)
}
