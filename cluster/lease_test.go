package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// testLeaseTTL keeps the failovers of these tests short.
const testLeaseTTL = time.Second

// connectConn is connect, also returning the connection, so that a test can
// cut a replica off NATS.
func connectConn(t testing.TB, urls ...string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return nc, js
}

// leaseFor returns a new holder of the test database's lease.
func leaseFor(t testing.TB, js jetstream.JetStream, stream string, replicas int) engine.Lease {
	t.Helper()
	l, err := cluster.NewLease(js, cluster.LeaseConfig{Key: stream, TTL: testLeaseTTL, Replicas: replicas})
	require.NoError(t, err)
	return l
}

// openLeased opens a replica on stream with a lease of its own, its log
// passed through wrap (nil: as it is).
func openLeased(t testing.TB, js jetstream.JetStream, stream string, wrap func(engine.Log) engine.Log, opts ...engine.Option) *engine.Engine {
	t.Helper()
	log, err := cluster.New(js, cluster.Config{Stream: stream, Timeout: 2 * time.Second})
	require.NoError(t, err)
	if wrap != nil {
		log = wrap(log)
	}
	e, err := engine.Open(append([]engine.Option{engine.WithLog(log), engine.WithLease(leaseFor(t, js, stream, 1)),
		engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// streamCommits decodes every record of stream.
func streamCommits(t testing.TB, js jetstream.JetStream, stream string) []store.ChangeSet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	var out []store.ChangeSet
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		require.NoError(t, err)
		out = append(out, decodeRecord(t, msg.Data))
	}
	return out
}

// decodeRecord reads one log record: a tag byte (1, a commit inline), then
// the commit in the journal's encoding.
func decodeRecord(t testing.TB, rec []byte) store.ChangeSet {
	t.Helper()
	require.NotEmpty(t, rec)
	require.Equal(t, byte(1), rec[0], "an inline commit record")
	cs, _, err := disk.DecodeCommit(rec[1:])
	require.NoError(t, err)
	return cs
}

// slowLog delays every append, so that a job takes long enough to be cut
// in the middle.
type slowLog struct {
	engine.Log
	delay time.Duration
}

func (l slowLog) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	time.Sleep(l.delay)
	return l.Log.Append(ctx, expectLast, record)
}

// TestJobSurvivesItsReplica submits a job on replica a, which holds the
// lease and runs it. a goes mid-job, either closed (it gives the lease up)
// or cut off NATS (its connection closed: it can neither renew its lease
// nor commit, and the lease lapses); b takes the lease and finishes the job
// from its first unfinished step. The log holds each step exactly once.
func TestJobSurvivesItsReplica(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(a *engine.Engine, nc *nats.Conn)
	}{
		{"closed", func(a *engine.Engine, _ *nats.Conn) { require.NoError(t, a.Close()) }},
		{"cut off", func(_ *engine.Engine, nc *nats.Conn) { nc.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := startNode(t)
			ncA, jsA := connectConn(t, node.url())
			quiet := engine.WithLogger(slog.New(slog.DiscardHandler)) // a's retries once it is cut off
			a := openLeased(t, jsA, "jobs", func(l engine.Log) engine.Log { return slowLog{l, 20 * time.Millisecond} }, quiet)
			require.Eventually(t, a.Leading, wait, 10*time.Millisecond)
			jsB := connect(t, node.url())
			b := openLeased(t, jsB, "jobs", nil)
			assert.False(t, b.Leading())

			const steps = 60
			var grants []model.GrantInput
			for i := range steps {
				grants = append(grants, model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%02d", i)}, Grantee: model.User("bob"), Level: model.LevelRead})
			}
			ctx := context.Background()
			sub, err := a.SubmitJob(ctx, org, bulk.JobSpec{Name: "onboard", RequestedBy: "admin", Operation: bulk.OpCreate, Grants: grants})
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				sum, err := b.Job(ctx, org, sub.ID)
				return err == nil && sum.StepsProcessed >= 3
			}, wait, 5*time.Millisecond, "a never ran the job")
			tc.end(a, ncA)

			wctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			sum, err := b.WaitJob(wctx, org, sub.ID)
			require.NoError(t, err)
			assert.Equal(t, bulk.JobSucceeded, sum.Status)
			assert.Equal(t, steps, sum.StepsSucceeded)
			assert.True(t, b.Leading())

			// Each step is in the log once, and so is each of its grants.
			stepRecords := map[int]int{}
			grantWrites := map[string]int{}
			for _, cs := range streamCommits(t, jsB, "jobs") {
				for _, jc := range cs.Jobs {
					if jc.Step != nil && jc.Step.Status.Ended() {
						stepRecords[jc.Step.Index]++
					}
				}
				for _, gc := range cs.Grants {
					grantWrites[gc.Grant.Entity.ID]++
				}
			}
			require.Len(t, stepRecords, steps)
			for i, n := range stepRecords {
				assert.Equal(t, 1, n, "step %d", i)
			}
			for id, n := range grantWrites {
				assert.Equal(t, 1, n, "grant on %s", id)
			}
		})
	}
}

// sweepCounter counts the appends of one replica that delete grants: with
// no revokes in the test, those are its sweeps.
type sweepCounter struct {
	engine.Log
	t      testing.TB
	sweeps *atomic.Int64
}

func (l sweepCounter) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	for _, gc := range decodeRecord(l.t, record).Grants {
		if gc.Deleted {
			l.sweeps.Add(1)
			break
		}
	}
	return l.Log.Append(ctx, expectLast, record)
}

// TestOnlyTheHolderSweeps runs three replicas sweeping every 10 ms:
// grants that end are swept by the lease holder alone, in one commit.
func TestOnlyTheHolderSweeps(t *testing.T) {
	node := startNode(t)
	sweeps := make([]*atomic.Int64, 3)
	replicas := make([]*engine.Engine, 3)
	for i := range replicas {
		sweeps[i] = new(atomic.Int64)
		counter := func(l engine.Log) engine.Log { return sweepCounter{l, t, sweeps[i]} }
		replicas[i] = openLeased(t, connect(t, node.url()), "sweeps", counter, engine.WithSweepInterval(10*time.Millisecond))
	}
	require.Eventually(t, func() bool {
		n := 0
		for _, e := range replicas {
			if e.Leading() {
				n++
			}
		}
		return n == 1
	}, wait, 10*time.Millisecond, "no replica took the lease")

	const n = 30
	ends := time.Now().Add(300 * time.Millisecond)
	var grants []model.GrantInput
	for i := range n {
		grants = append(grants, model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%02d", i)},
			Grantee: model.User("alice"), Level: model.LevelRead, EffectiveTo: ends})
	}
	ctx := context.Background()
	_, err := replicas[2].BulkCreate(ctx, org, grants, bulk.Options{})
	require.NoError(t, err)

	js := connect(t, node.url())
	require.Eventually(t, func() bool {
		deleted := 0
		for _, cs := range streamCommits(t, js, "sweeps") {
			for _, gc := range cs.Grants {
				if gc.Deleted {
					deleted++
				}
			}
		}
		return deleted == n
	}, wait, 20*time.Millisecond, "the grants were not swept")
	converge(t, replicas...)

	var sweepCommits int
	for _, cs := range streamCommits(t, js, "sweeps") {
		if len(cs.Grants) > 0 && cs.Grants[0].Deleted {
			sweepCommits++
		}
	}
	assert.Equal(t, 1, sweepCommits, "one sweep commit in the log")
	for i, e := range replicas {
		if e.Leading() {
			assert.Equal(t, int64(1), sweeps[i].Load(), "the holder, replica %d, swept once", i)
		} else {
			assert.Zero(t, sweeps[i].Load(), "replica %d, not holding the lease, never swept", i)
		}
	}
}

// TestLeaseIsHeldByOneAtATime: a holder that renews keeps the lease past
// its TTL while another asks for it; once it releases the lease, the other
// gets it, and never while the first still held it.
func TestLeaseIsHeldByOneAtATime(t *testing.T) {
	node := startNode(t)
	js := connect(t, node.url())
	newLease := func() engine.Lease {
		l, err := cluster.NewLease(js, cluster.LeaseConfig{Key: "one", TTL: 2 * time.Second})
		require.NoError(t, err)
		return l
	}
	first, second := newLease(), newLease()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	held1, release1, err := first.Acquire(ctx)
	require.NoError(t, err)

	type hold struct {
		held    context.Context
		release func()
		firstOn bool // whether the first hold was live when the second began
	}
	got := make(chan hold, 1)
	go func() {
		h, r, err := second.Acquire(ctx)
		if err == nil {
			got <- hold{h, r, held1.Err() == nil}
		}
	}()
	select {
	case h := <-got:
		h.release()
		t.Fatalf("the second holder took the lease while the first renewed it (first still live: %v)", h.firstOn)
	case <-time.After(5 * time.Second): // two TTLs and more
	}
	require.NoError(t, held1.Err(), "renewals keep the lease")

	release1()
	assert.Error(t, held1.Err(), "a released hold ends")
	select {
	case h := <-got:
		assert.False(t, h.firstOn, "never two holders at once")
		assert.NoError(t, h.held.Err())
		h.release()
	case <-time.After(wait):
		t.Fatal("the second holder never took the released lease")
	}
}
