package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The benchmarks of replication, named by scale: node1 is one nats-server
// (file storage, one replica), cluster3 a 3-node cluster with stream
// replicas 3, where each append waits for the quorum. Servers run in this
// process, on loopback: the figures are the protocol's and the engine's,
// not a network's.
//
//	go test -run '^$' -bench . -benchtime 200x ./...   # in cluster/

func grantInput(i int) model.GrantInput {
	return model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%d", i)}, Grantee: model.User(fmt.Sprintf("u%d", i%1000)), Level: model.LevelRead}
}

// benchReplicas starts the servers of scale and opens n replicas on one
// stream, each with a client of its own (each talking to another node
// first).
func benchReplicas(b *testing.B, scale string, n int) ([]*engine.Engine, []string) {
	b.Helper()
	var urls []string
	switch scale {
	case "node1":
		node := startNode(b)
		urls = []string{node.url()}
	case "cluster3":
		nodes := startCluster(b)
		for _, node := range nodes {
			urls = append(urls, node.url())
		}
		replicatedStream(b, connect(b, urls...), "bench", 3)
	}
	out := make([]*engine.Engine, n)
	for i := range out {
		out[i] = openReplica(b, connect(b, append(urls[i%len(urls):], urls[:i%len(urls)]...)...), "bench")
	}
	return out, urls
}

// reportPercentiles reports the p50 and p99 of ds as metrics, in µs.
func reportPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	b.Helper()
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), prefix+"p50-µs")
	b.ReportMetric(at(0.99), prefix+"p99-µs")
}

// BenchmarkCreateGrant measures one CreateGrant through the log, call by
// call: fill, append (stored by the stream's quorum), apply.
func BenchmarkCreateGrant(b *testing.B) {
	for _, scale := range []string{"node1", "cluster3"} {
		b.Run(scale, func(b *testing.B) {
			rs, _ := benchReplicas(b, scale, 1)
			e := rs[0]
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if _, err := e.CreateGrant(ctx, org, grantInput(i)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, "", lat)
		})
	}
}

// BenchmarkBulkCreate100k measures a BulkCreate of 100,000 grants through
// the log of a 3-node cluster: one commit of a few MiB (reported as
// MiB/commit), above the servers' default 1 MB max_payload, so it goes to
// the object store and the stream gets one small record naming it.
func BenchmarkBulkCreate100k(b *testing.B) {
	const n = 100_000
	rs, urls := benchReplicas(b, "cluster3", 1)
	e := rs[0]
	items := make([]model.GrantInput, n)
	for i := range items {
		items[i] = grantInput(i)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		res, err := e.BulkCreate(ctx, fmt.Sprintf("org_%d", i), items, bulk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Summary.Succeeded != n {
			b.Fatalf("%d of %d created", res.Summary.Succeeded, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "grants/s")
	js := connect(b, urls...)
	s, err := js.Stream(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if info.State.Msgs != uint64(b.N) {
		b.Fatalf("the stream holds %d records for %d commits", info.State.Msgs, b.N)
	}
	objects, err := js.ObjectStore(ctx, "bench-objects")
	if err != nil {
		b.Fatalf("the commits went through no object store: %v", err)
	}
	status, err := objects.Status(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(status.Size())/float64(b.N)/(1<<20), "MiB/commit")
}

// stampLog notes when each append was asked for, by the sequence the log
// gave it.
type stampLog struct {
	engine.Log
	mu     sync.Mutex
	asked  map[uint64]time.Time
	active atomic.Bool
}

func (l *stampLog) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	start := time.Now()
	seq, err := l.Log.Append(ctx, expectLast, record)
	if err == nil && l.active.Load() {
		l.mu.Lock()
		l.asked[seq] = start
		l.mu.Unlock()
	}
	return seq, err
}

// BenchmarkReplicationLag measures, for each write of one replica of a
// 3-node cluster, the time from the writer asking the log to append its
// record to another replica having applied it (its WaitRevision
// returning). The stream holds this benchmark's records only, so a
// record's sequence is its revision.
func BenchmarkReplicationLag(b *testing.B) {
	nodes := startCluster(b)
	urls := []string{nodes[0].url(), nodes[1].url(), nodes[2].url()}
	replicatedStream(b, connect(b, urls...), "lag", 3)
	log, err := cluster.NATS(connect(b, urls...), "lag")
	if err != nil {
		b.Fatal(err)
	}
	stamps := &stampLog{Log: log, asked: map[uint64]time.Time{}}
	writer, err := engine.Open(engine.WithLog(stamps), engine.WithSweepInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = writer.Close() })
	reader := openReplica(b, connect(b, append(urls[1:], urls[0])...), "lag")
	ctx := context.Background()

	stamps.active.Store(true)
	from := writer.Revision()
	applied := make([]time.Time, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range b.N {
			if err := reader.WaitRevision(ctx, from+uint64(i)+1); err != nil {
				return
			}
			applied[i] = time.Now()
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		if _, err := writer.CreateGrant(ctx, org, grantInput(i)); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	lags := make([]time.Duration, 0, b.N)
	for i, at := range applied {
		if asked, ok := stamps.asked[from+uint64(i)+1]; ok {
			lags = append(lags, at.Sub(asked))
		}
	}
	if len(lags) != b.N {
		b.Fatalf("%d of %d writes stamped", len(lags), b.N)
	}
	reportPercentiles(b, "lag-", lags)
}

// BenchmarkCheckWhileWriting measures Check on a replica holding 10,000
// grants of 1,000 users, idle and while another replica streams writes in
// (each applied here as it lands).
func BenchmarkCheckWhileWriting(b *testing.B) {
	const grants = 10_000
	rs, _ := benchReplicas(b, "cluster3", 2)
	writer, reader := rs[0], rs[1]
	ctx := context.Background()
	for start := 0; start < grants; start += 1000 {
		items := make([]model.GrantInput, 1000)
		for i := range items {
			items[i] = grantInput(start + i)
		}
		if _, err := writer.BulkCreate(ctx, org, items, bulk.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	converge(b, writer, reader)
	// The questions are made beforehand: half of them about a user's own
	// grant (allowed), half about another entity (denied).
	rng := rand.New(rand.NewPCG(1, 2))
	type question struct {
		user   string
		entity model.EntityRef
	}
	questions := make([]question, 4096)
	for i := range questions {
		g := rng.IntN(grants)
		in := grantInput(g)
		if i%2 == 1 {
			in.Entity.ID = fmt.Sprintf("d%d", rng.IntN(grants))
		}
		questions[i] = question{in.Grantee.ID, in.Entity}
	}
	// Each call is timed too, and the loop's own CPU time taken (its
	// goroutine locked to one thread): on a machine whose cores the
	// writer, the servers and the reader's follower share, ns/op counts
	// the time the reader waits for a core, while cpu-ns/op and the median
	// call show what a Check itself costs with records applied beside it.
	check := func(b *testing.B) {
		lat := make([]time.Duration, b.N)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu0, cpuOK := threadCPU()
		b.ResetTimer()
		for i := range b.N {
			q := questions[i%len(questions)]
			start := time.Now()
			if _, err := reader.Check(ctx, org, q.user, q.entity, model.LevelRead); err != nil {
				b.Fatal(err)
			}
			lat[i] = time.Since(start)
		}
		b.StopTimer()
		if cpu1, ok := threadCPU(); ok && cpuOK {
			b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Nanoseconds()), "p99-ns")
	}
	b.Run("idle", check)
	next := grants // the next grant the writer creates, across runs
	b.Run("writing", func(b *testing.B) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var written atomic.Int64
		failed := make(chan struct{})
		wg.Go(func() {
			for ; ; next++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := writer.CreateGrant(ctx, org, grantInput(next)); err != nil {
					b.Error(err)
					close(failed)
					return
				}
				written.Add(1)
			}
		})
		// The reader applies writes from the first one on.
		for written.Load() < 10 {
			select {
			case <-failed:
				return
			case <-time.After(time.Millisecond):
			}
		}
		before, start := reader.Revision(), time.Now()
		check(b)
		applied := float64(reader.Revision()-before) / time.Since(start).Seconds()
		close(stop)
		wg.Wait()
		b.ReportMetric(applied, "applied/s")
	})
}
