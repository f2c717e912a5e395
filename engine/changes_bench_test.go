package engine_test

import (
	"context"
	"fmt"
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
			var wg sync.WaitGroup
			read := make([]watcherCount, tc.watchers)
			want := int64(b.N)
			for i := range tc.watchers {
				org := tc.org
				if org == "" {
					org = fmt.Sprintf("org_w%03d", i)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, last, bad := int64(0), uint64(0), false
					// The count is published when it reaches want and
					// when the watch ends, not per change: an atomic
					// store per change would be the benchmark's cost,
					// not the feed's.
					defer func() { read[i].publish(n, bad) }()
					for ch, err := range e.Watch(ctx, org, 0) {
						if err != nil {
							return
						}
						// Read the change as a consumer would: in order,
						// each grant it carries.
						if ch.Revision <= last || len(ch.Grants) == 0 || ch.Grants[0].Grant.Org != org {
							bad = true
						}
						last = ch.Revision
						if n++; n == want {
							read[i].publish(n, bad)
						}
					}
				}()
			}
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
				waitForWatchers(b, read, want)
			}
			cancel()
			wg.Wait()
		})
	}
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
// watcher publishes its count once it reaches want, or when its watch
// ends.
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
