package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

var sinkChanges []model.Change

// BenchmarkCreateGrant_Watchers measures a write with live watchers of the
// organisation written (every one reads every commit) and of other
// organisations (woken, they find nothing of theirs). A watcher never
// holds a writer: the two should cost alike. cpu-ns/op is the whole
// process's CPU time per write, the watchers' included: on a shared machine
// the wall time also counts the time other processes held the cores. After
// the timed writes, the benchmark waits for every watcher of the
// organisation written to have read all of them, in order, and fails if
// one did not.
//
// paired compares 100 same-org watchers with none in one run, so that a
// machine's load, which drifts over seconds, weighs on both alike: two
// engines, one watched by 100 watchers and one not, take b.N writes each in
// alternating blocks of pairedBlock (the first of each pair alternating
// too). Between blocks, untimed, the watchers catch up with the block
// written. It reports each engine's ns/op and cpu-ns/op, and watchers-ratio
// and watchers-cpu-ratio: the medians over pairs of blocks of the watched
// engine's time over the other's.
func BenchmarkCreateGrant_Watchers(b *testing.B) {
	for _, tc := range []struct {
		name     string
		watchers int
		org      string
	}{
		{"0", 0, testOrg},
		{"100_same_org", 100, testOrg},
		{"100_other_orgs", 100, ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := engine.Open(engine.WithClock(func() time.Time { return t0 }))
			require.NoError(b, err)
			defer e.Close()
			ctx, cancel := context.WithCancel(context.Background())
			w := startWatchers(ctx, e, tc.watchers, tc.org, int64(b.N), int64(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				sinkGrant, err = e.CreateGrant(ctx, testOrg, benchInput(i))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportCPU(b, cpu)
			if tc.org == testOrg {
				waitForWatchers(b, w.read, int64(b.N))
			}
			cancel()
			w.wg.Wait()
		})
	}
	b.Run("paired", benchWatchersPaired)
}

// pairedBlock is how many writes one engine takes in a row in the paired
// benchmark: some 100 ms of writes, so that the watchers' reads left for
// the untimed catch-up after a block (the last few milliseconds' worth,
// their cadence) are a small part of the block's.
const pairedBlock = 2000

func benchWatchersPaired(b *testing.B) {
	const watchers = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var engines [2]*engine.Engine // 0: no watchers, 1: watched
	for k := range engines {
		e, err := engine.Open(engine.WithClock(func() time.Time { return t0 }))
		require.NoError(b, err)
		defer e.Close()
		engines[k] = e
	}
	w := startWatchers(ctx, engines[1], watchers, testOrg, int64(b.N), pairedBlock)
	defer w.wg.Wait()
	defer cancel()
	var wall, cpu [2]time.Duration
	var ratios, cpuRatios []float64
	b.ReportAllocs()
	b.ResetTimer()
	for from, pair := 0, 0; from < b.N; from, pair = from+pairedBlock, pair+1 {
		to := min(from+pairedBlock, b.N)
		var blockWall, blockCPU [2]time.Duration
		for j := range engines {
			k := (j + pair) % 2 // who goes first alternates
			start, startCPU := time.Now(), cpuTime()
			for i := from; i < to; i++ {
				g, err := engines[k].CreateGrant(ctx, testOrg, benchInput(i))
				if err != nil {
					b.Fatal(err)
				}
				sinkGrant = g
			}
			blockWall[k], blockCPU[k] = time.Since(start), cpuTime()-startCPU
			if k == 1 {
				b.StopTimer()
				waitForWatchers(b, w.read, int64(to))
				b.StartTimer()
			}
		}
		for k := range engines {
			wall[k] += blockWall[k]
			cpu[k] += blockCPU[k]
		}
		ratios = append(ratios, float64(blockWall[1])/float64(blockWall[0]))
		cpuRatios = append(cpuRatios, float64(blockCPU[1])/float64(blockCPU[0]))
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(wall[0])/n, "ns/op-0")
	b.ReportMetric(float64(wall[1])/n, "ns/op-100")
	b.ReportMetric(float64(cpu[0])/n, "cpu-ns/op-0")
	b.ReportMetric(float64(cpu[1])/n, "cpu-ns/op-100")
	b.ReportMetric(median(ratios), "watchers-ratio")
	b.ReportMetric(median(cpuRatios), "watchers-cpu-ratio")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchWatchers are a benchmark's watchers: read[i] is what watcher i has
// read, and wg ends when every one has stopped (cancel their ctx).
type benchWatchers struct {
	read []watcherCount
	wg   sync.WaitGroup
}

// startWatchers starts n watchers of e, all of org or, when org is empty,
// each of its own; each reads every change as a consumer would (in order,
// each grant it carries) and publishes its count every `every` changes and
// when its watch ends, not per change: an atomic store per change would be
// the benchmark's cost, not the feed's. want is how many changes it is to
// read (its last count published).
func startWatchers(ctx context.Context, e *engine.Engine, n int, org string, want, every int64) *benchWatchers {
	w := &benchWatchers{read: make([]watcherCount, n)}
	for i := range n {
		org := org
		if org == "" {
			org = fmt.Sprintf("org_w%03d", i)
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			n, last, bad := int64(0), uint64(0), false
			defer func() { w.read[i].publish(n, bad) }()
			next := min(every, want)
			for ch, err := range e.Watch(ctx, org, 0) {
				if err != nil {
					return
				}
				if ch.Revision <= last || len(ch.Grants) == 0 || ch.Grants[0].Grant.Org != org {
					bad = true
				}
				last = ch.Revision
				if n++; n == next {
					w.read[i].publish(n, bad)
					next = min(next+every, want)
				}
			}
		}()
	}
	return w
}

// watcherCount is what one benchmark watcher has read, on a cache line of
// its own so that the watchers' counting does not slow one another.
type watcherCount struct {
	n   atomic.Int64
	bad atomic.Bool
	_   [48]byte
}

// publish records that the watcher has read n changes, bad if one of them
// was out of order or not its organisation's.
func (c *watcherCount) publish(n int64, bad bool) {
	if bad {
		c.bad.Store(true)
	}
	c.n.Store(n)
}

// waitForWatchers fails b unless every watcher reads want changes, all
// well-formed, within a bound (a hang fails, it does not time anything). A
// watcher publishes its count at the counts waited for (see
// startWatchers), and when its watch ends.
func waitForWatchers(b *testing.B, read []watcherCount, want int64) {
	deadline := time.Now().Add(30 * time.Second)
	for i := range read {
		for read[i].n.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("watcher %d read %d of %d changes", i, read[i].n.Load(), want)
			}
			time.Sleep(time.Millisecond)
		}
		if read[i].bad.Load() || read[i].n.Load() != want {
			b.Fatalf("watcher %d read %d changes, want %d in order, each with its grant", i, read[i].n.Load(), want)
		}
	}
}

// BenchmarkChanges_Read measures the feed's read throughput, reported as
// commits/s: pages of 1000 of 10,000 one-grant commits, from memory (the
// engine that made them) and from disk (a reopened durable engine, whose
// Open refilled the feed from its journal). For disk, commits/s counts the
// reads alone; open+read_commits/s also counts the Open (journal replay,
// state and feed) and the Close: the rate of a process that restarts to
// serve the feed.
func BenchmarkChanges_Read(b *testing.B) {
	const commits = 10_000
	ctx := context.Background()
	b.Run("memory", func(b *testing.B) {
		e, _ := fillEngine(b, commits)
		defer e.Close()
		b.ReportAllocs()
		b.ResetTimer()
		read := 0
		for range b.N {
			read += readWholeFeed(b, e)
		}
		b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "commits/s")
	})
	b.Run("disk", func(b *testing.B) {
		dir := b.TempDir()
		opts := []engine.Option{engine.WithPath(dir), engine.WithSync(engine.SyncNever),
			engine.WithClock(func() time.Time { return t0 }), engine.WithSweepInterval(0)}
		e, err := engine.Open(opts...)
		require.NoError(b, err)
		for i := range commits {
			_, err := e.CreateGrant(ctx, testOrg, benchInput(i))
			require.NoError(b, err)
		}
		require.NoError(b, e.Close())
		b.ReportAllocs()
		b.ResetTimer()
		read := 0
		var whole time.Duration
		for range b.N {
			start := time.Now()
			b.StopTimer()
			e, err := engine.Open(opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			read += readWholeFeed(b, e)
			b.StopTimer()
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			whole += time.Since(start)
		}
		b.StopTimer()
		if read != b.N*commits {
			b.Fatalf("read %d commits, want %d", read, b.N*commits)
		}
		b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "commits/s")
		b.ReportMetric(float64(read)/whole.Seconds(), "open+read_commits/s")
	})
}

// readWholeFeed reads testOrg's feed from the start, a page at a time, and
// returns how many commits it held.
func readWholeFeed(b *testing.B, e *engine.Engine) int {
	read := 0
	for after := uint64(0); ; {
		page, err := e.Changes(context.Background(), testOrg, after, model.MaxPageSize)
		if err != nil {
			b.Fatal(err)
		}
		read += len(page)
		sinkChanges = page
		if len(page) < model.MaxPageSize {
			return read
		}
		after = page[len(page)-1].Revision
	}
}
