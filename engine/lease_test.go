package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// memLease is a lease in memory shared by the replicas of a test. A replica
// killed with kill loses the lease, as a lapse would, and never gets it
// again.
type memLease struct {
	mu      sync.Mutex
	holder  string
	lost    context.CancelFunc
	dead    map[string]bool
	changed chan struct{}
}

func newMemLease() *memLease {
	return &memLease{dead: map[string]bool{}, changed: make(chan struct{})}
}

// as returns the lease as the replica named name asks for it.
func (l *memLease) as(name string) engine.Lease { return leaseOf{l, name} }

type leaseOf struct {
	l    *memLease
	name string
}

func (h leaseOf) Acquire(ctx context.Context) (context.Context, func(), error) {
	l := h.l
	for {
		l.mu.Lock()
		if l.holder == "" && !l.dead[h.name] {
			l.holder = h.name
			held, lost := context.WithCancel(context.Background())
			l.lost = lost
			l.mu.Unlock()
			return held, func() { l.drop(h.name) }, nil
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-ch:
		}
	}
}

// drop ends name's hold, if it holds the lease.
func (l *memLease) drop(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder != name {
		return
	}
	l.holder = ""
	l.lost()
	close(l.changed)
	l.changed = make(chan struct{})
}

// kill takes the lease from name for good.
func (l *memLease) kill(name string) {
	l.mu.Lock()
	l.dead[name] = true
	l.mu.Unlock()
	l.drop(name)
}

// countingLog counts the appends one replica asks its log for.
type countingLog struct {
	engine.Log
	appends atomic.Int64
}

func (c *countingLog) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	c.appends.Add(1)
	return c.Log.Append(ctx, expectLast, record)
}

func openLeased(t *testing.T, l engine.Log, lease engine.Lease, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e, err := engine.Open(append([]engine.Option{engine.WithLog(l), engine.WithLease(lease), engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func waitLeading(t *testing.T, e *engine.Engine) {
	t.Helper()
	require.Eventually(t, e.Leading, 10*time.Second, time.Millisecond, "the replica never took the lease")
}

// TestLeasedJobRunsOnTheHolderAndSurvivesIt submits a job on a replica
// that does not hold the lease: the holder runs it. The holder dies mid-job
// (its lease taken for good, its log cut); the other replica takes the
// lease and finishes the job from its first unfinished step, each step
// committed once.
func TestLeasedJobRunsOnTheHolderAndSurvivesIt(t *testing.T) {
	log, lease := newMemLog(), newMemLease()
	a := openLeased(t, log, lease.as("a"))
	waitLeading(t, a)
	b := openLeased(t, log, lease.as("b"))
	assert.False(t, b.Leading())

	var stepsOnA, stepsOnB atomic.Int64
	reached := make(chan struct{})
	var once sync.Once
	engine.SetJobStepHook(a, func(ctx context.Context, _ string, step int) {
		stepsOnA.Add(1)
		if step == 2 {
			once.Do(func() { close(reached) })
			<-ctx.Done() // a dies here, before its third step
		}
	})
	engine.SetJobStepHook(b, func(context.Context, string, int) { stepsOnB.Add(1) })

	ctx := context.Background()
	sub, err := b.SubmitJob(ctx, "org_1", bulk.JobSpec{Name: "n", RequestedBy: "admin", Operation: bulk.OpCreate,
		Grants: []model.GrantInput{grantIn("d0", "bob"), grantIn("d1", "bob"), grantIn("d2", "bob"), grantIn("d3", "bob"), grantIn("d4", "bob")}})
	require.NoError(t, err)
	<-reached
	assert.Zero(t, stepsOnB.Load(), "only the holder runs the job")
	lease.kill("a")

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sum, err := b.WaitJob(wctx, "org_1", sub.ID)
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, 5, sum.StepsSucceeded)
	assert.True(t, b.Leading())
	assert.Equal(t, int64(3), stepsOnA.Load(), "a ran two steps, then died before its third")
	assert.Equal(t, int64(3), stepsOnB.Load(), "b ran the rest: a's third step, and two more")

	// Every entity got its grant in exactly one commit.
	changes, err := b.Changes(ctx, "org_1", 0, 100)
	require.NoError(t, err)
	seen := map[string]int{}
	for _, c := range changes {
		for _, gc := range c.Grants {
			seen[gc.Grant.Entity.ID]++
		}
	}
	assert.Equal(t, map[string]int{"d0": 1, "d1": 1, "d2": 1, "d3": 1, "d4": 1}, seen)
}

// TestLeasedSweeperRunsOnTheHolderOnly runs a fast sweeper on two replicas
// with a lease: only the holder asks the log to take sweeps.
func TestLeasedSweeperRunsOnTheHolderOnly(t *testing.T) {
	log, lease := newMemLog(), newMemLease()
	la, lb := &countingLog{Log: log}, &countingLog{Log: log}
	a := openLeased(t, la, lease.as("a"), engine.WithSweepInterval(5*time.Millisecond))
	waitLeading(t, a)
	b := openLeased(t, lb, lease.as("b"), engine.WithSweepInterval(5*time.Millisecond))

	ctx := context.Background()
	const n = 20
	var grants []model.GrantInput
	for i := range n {
		in := grantIn(fmt.Sprintf("d%d", i), "alice")
		in.EffectiveTo = time.Now().Add(100 * time.Millisecond)
		grants = append(grants, in)
	}
	_, err := b.BulkCreate(ctx, "org_1", grants, bulk.Options{})
	require.NoError(t, err)
	require.Equal(t, int64(1), lb.appends.Load())

	swept := func() bool {
		changes, err := b.Changes(ctx, "org_1", 0, 100)
		require.NoError(t, err)
		deleted := 0
		for _, c := range changes {
			for _, gc := range c.Grants {
				if gc.Op == model.ChangeDelete {
					deleted++
				}
			}
		}
		return deleted == n
	}
	require.Eventually(t, swept, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, int64(1), lb.appends.Load(), "b, not holding the lease, never swept")
	assert.GreaterOrEqual(t, la.appends.Load(), int64(1), "a swept")
}

// TestLeasedReplicaGivesTheLeaseUpOnClose: the other replica takes it.
func TestLeasedReplicaGivesTheLeaseUpOnClose(t *testing.T) {
	log, lease := newMemLog(), newMemLease()
	a := openLeased(t, log, lease.as("a"))
	waitLeading(t, a)
	b := openLeased(t, log, lease.as("b"))
	require.NoError(t, a.Close())
	assert.False(t, a.Leading())
	waitLeading(t, b)
}

func TestLeaseNeedsALog(t *testing.T) {
	_, err := engine.Open(engine.WithLease(newMemLease().as("a")))
	assert.ErrorIs(t, err, model.ErrValidation)
	var me *model.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "lease", me.Field)
}

func TestLeadingWithoutALease(t *testing.T) {
	e, err := engine.Open()
	require.NoError(t, err)
	defer e.Close()
	assert.False(t, e.Leading())
}

// TestFailedReplicaGivesTheLeaseUp: a replica that stops applying its log
// (a record that does not apply) gives the lease up, so that the work goes
// on elsewhere (here a replica of another log sharing the lease, so that
// only the first one fails).
func TestFailedReplicaGivesTheLeaseUp(t *testing.T) {
	lease := newMemLease()
	bad := newMemLog()
	a := openLeased(t, bad, lease.as("a"))
	waitLeading(t, a)
	b := openLeased(t, newMemLog(), lease.as("b"))
	_, err := bad.Append(context.Background(), 0, []byte("not a commit"))
	require.NoError(t, err)
	waitLeading(t, b)
	assert.False(t, a.Leading())
}
