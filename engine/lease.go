package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Background work on one replica (docs/design.md §2.13): the expiry sweeper
// and the jobs of a replicated database run on the replica that holds the
// lease, one at a time. A job's submission and each of its steps are
// commits of the log, so every replica knows every job's state; when the
// holder dies its lease lapses, another replica takes it and resumes each
// job that has not ended from its first unfinished step, as a durable
// engine does after a restart. A step that the old holder appended late
// cannot run twice either: the step's commit is conditional on the log, and
// the rerun finds the step done.

// Lease elects, among the replicas sharing a Log, the one that runs the
// background work. The module github.com/grantdb/grantdb/cluster keeps one
// in a NATS JetStream key-value bucket (cluster.NewLease). One Lease serves
// one engine.
type Lease interface {
	// Acquire blocks until this replica holds the lease, then returns
	// held, which ends when the lease is lost (its renewal was not
	// confirmed in time, or another replica took it), and release, which
	// gives the lease up and returns once it is given up or cannot be.
	// It returns an error when ctx ends first (ctx's) or the lease cannot
	// be asked for (the engine asks again after a pause). The engine
	// calls release once per successful Acquire, and Acquire again only
	// after release.
	Acquire(ctx context.Context) (held context.Context, release func(), err error)
}

// WithLease makes a replica (WithLog) run its background work, the expiry
// sweeper and the jobs, only while it holds l. Whichever replica a job was
// submitted on, the holder runs it; when the holder closes it releases the
// lease, and when it dies the lease lapses, and another replica takes it
// and resumes every job that had not ended from its first unfinished step.
// WaitJob then waits, on any replica, until the job's end reaches it
// through the log. WithLease without WithLog is ErrValidation. Default: no
// lease; every replica sweeps (sweeps that race conflict, and the second
// finds nothing) and a job runs on the replica that submitted it.
func WithLease(l Lease) Option {
	return func(c *config) { c.lease = l }
}

// Leading reports whether this engine holds its lease (WithLease) now, and
// so runs the sweeper and the jobs. It is false for an engine without a
// lease.
func (e *Engine) Leading() bool { return e.lead.holding.Load() }

// fieldLease names the option in a refusal.
const fieldLease = "lease"

// leaseRetry is how long the leader waits before asking for the lease again
// after the lease could not be asked for.
const leaseRetry = 500 * time.Millisecond

// leaseJobRetry is how long the holder waits before running a job again
// whose commit failed (the log unreachable for a while).
const leaseJobRetry = 200 * time.Millisecond

// leader runs the background work of a replica with a lease. Its zero value
// (no lease) does nothing.
type leader struct {
	holding atomic.Bool

	mu sync.Mutex
	// unended maps the id of every job not ended, as this replica has
	// applied them, to its organisation; running holds those whose runner
	// goroutine runs here. Both are guarded by mu; unended is nil without
	// a lease.
	unended map[string]string
	running map[string]bool
	// wake, with room for one, tells the holder that a job may want a
	// runner.
	wake chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// checkLease refuses a lease without a log: there is no other replica to
// share the background work with.
func checkLease(cfg *config) error {
	if cfg.lease != nil && cfg.log == nil {
		return model.NewError(model.CodeValidation, fieldLease,
			"WithLease needs WithLog: the lease elects one replica of those sharing a log")
	}
	return nil
}

// initLeader readies the job bookkeeping before the first record is
// applied. Open calls it when the engine has a lease.
func (e *Engine) initLeader() {
	e.lead.unended = make(map[string]string)
	e.lead.running = make(map[string]bool)
	e.lead.wake = make(chan struct{}, 1)
}

// noteJobs keeps the set of jobs not ended up to date with a published
// commit, and wakes the holder when one may need a runner. It runs under
// writeMu, in commit order, so it never blocks.
func (e *Engine) noteJobs(cs store.ChangeSet) {
	if e.lead.unended == nil {
		return
	}
	woke := false
	e.lead.mu.Lock()
	for _, jc := range cs.Jobs {
		if jc.Job == nil {
			continue
		}
		if jc.Job.Status.Ended() {
			delete(e.lead.unended, jc.Job.ID)
			continue
		}
		if _, ok := e.lead.unended[jc.Job.ID]; !ok {
			e.lead.unended[jc.Job.ID] = jc.Job.Org
			woke = true
		}
	}
	e.lead.mu.Unlock()
	if woke {
		e.wakeLeader()
	}
}

func (e *Engine) wakeLeader() {
	select {
	case e.lead.wake <- struct{}{}:
	default:
	}
}

// startLeader starts the goroutine that asks for the lease and, while it
// holds it, runs the sweeper and the jobs. Open calls it instead of
// startSweeper when the engine has a lease.
func (e *Engine) startLeader() {
	ctx, cancel := context.WithCancel(context.Background())
	e.lead.cancel, e.lead.done = cancel, make(chan struct{})
	go e.leadLoop(ctx)
}

// stopLeader stops the background work, waits for it (a job stops between
// steps) and gives the lease up. Close calls it first, before it takes
// writeMu, which a sweep or a job step takes.
func (e *Engine) stopLeader() {
	if e.lead.cancel == nil {
		return
	}
	e.lead.cancel()
	<-e.lead.done
}

func (e *Engine) leadLoop(ctx context.Context) {
	defer close(e.lead.done)
	for ctx.Err() == nil {
		if e.replicaFailed() {
			return // a replica that applies nothing more must not hold the work up
		}
		held, release, err := e.cfg.lease.Acquire(ctx)
		if err != nil {
			if ctx.Err() == nil {
				e.repl.logger.Warn("grantdb: asking for the lease failed; retrying", "error", err)
				select {
				case <-ctx.Done():
				case <-time.After(leaseRetry):
				}
			}
			continue
		}
		work, cancel := context.WithCancel(held)
		stop := context.AfterFunc(ctx, cancel)
		e.lead.holding.Store(true)
		e.runHeld(work)
		e.lead.holding.Store(false)
		stop()
		cancel()
		release()
	}
}

// runHeld runs the sweeper and every job not ended until ctx ends (the
// lease lost, or the engine closing), then waits for them to stop.
func (e *Engine) runHeld(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if interval := e.cfg.sweepInterval; interval > 0 {
		wg.Go(func() { e.sweepLoop(ctx, interval, make(chan struct{})) })
	}
	e.noteStoredJobs()
	check := time.NewTicker(leaseRetry)
	defer check.Stop()
	for {
		for id, org := range e.jobsToRun() {
			wg.Go(func() { e.runLeasedJob(ctx, org, id) })
		}
		select {
		case <-ctx.Done():
			return
		case <-e.lead.wake:
		case <-check.C:
			if e.replicaFailed() {
				return // give the lease up to a replica that still applies the log
			}
		}
	}
}

// replicaFailed reports whether this replica stopped applying the log (a
// record that did not apply): it then writes nothing more.
func (e *Engine) replicaFailed() bool {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.repl.failed != nil
}

// noteStoredJobs adds every stored job that has not ended to the set, for
// the jobs of a state this replica did not apply commit by commit (a
// durable replica's directory). It takes writeMu, so that no commit is
// published between the scan and its noting.
func (e *Engine) noteStoredJobs() {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.lead.mu.Lock()
	defer e.lead.mu.Unlock()
	_ = e.current.Load().snap.Read().EachJob(func(j store.Job) bool {
		if !j.Status.Ended() {
			e.lead.unended[j.ID] = j.Org
		}
		return true
	})
}

// jobsToRun returns the jobs not ended that have no runner here, and marks
// them running.
func (e *Engine) jobsToRun() map[string]string {
	e.lead.mu.Lock()
	defer e.lead.mu.Unlock()
	out := map[string]string{}
	for id, org := range e.lead.unended {
		if !e.lead.running[id] {
			e.lead.running[id] = true
			out[id] = org
		}
	}
	return out
}

// runLeasedJob runs job id until it ends or ctx ends. A commit the log did
// not take (unreachable, or a race lost too often) is tried again after
// leaseJobRetry, from the first unfinished step, for as long as the lease
// is held; any other failure leaves the job to the next holder (or to this
// replica's next hold).
func (e *Engine) runLeasedJob(ctx context.Context, org, id string) {
	defer func() {
		e.lead.mu.Lock()
		delete(e.lead.running, id)
		e.lead.mu.Unlock()
	}()
	for {
		err := e.runJob(ctx, org, id)
		if err == nil {
			// Ended: a job noted from a stale scan leaves the set here.
			e.lead.mu.Lock()
			delete(e.lead.unended, id)
			e.lead.mu.Unlock()
			return
		}
		if ctx.Err() != nil || e.closed.Load() {
			return
		}
		if !errors.Is(err, ErrNotReplicated) && !errors.Is(err, model.ErrConflict) {
			e.repl.logger.Error("grantdb: a job stopped", "job", id, "error", err)
			return
		}
		e.repl.logger.Warn("grantdb: a job's commit failed; retrying", "job", id, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(leaseJobRetry):
		}
	}
}

// waitJobLeased is WaitJob for an engine with a lease: the job may run on
// another replica, so it waits until the job's end is published here.
func (e *Engine) waitJobLeased(ctx context.Context, org, id string) (bulk.JobSummary, error) {
	for {
		v, err := e.read(ctx, org)
		if err != nil {
			return bulk.JobSummary{}, err
		}
		sum, err := bulk.JobSummaryTxn(v.snap.Read(), org, id)
		if err != nil || sum.Status.Ended() {
			return sum, err
		}
		if err := e.WaitRevision(ctx, v.snap.Revision()+1); err != nil {
			return bulk.JobSummary{}, err
		}
	}
}
