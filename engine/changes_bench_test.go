package engine_test

import (
	"context"
	"fmt"
	"sync"
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
// the wall time also counts the time other processes held the cores.
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
			for i := range tc.watchers {
				org := tc.org
				if org == "" {
					org = fmt.Sprintf("org_w%03d", i)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := 0
					for _, err := range e.Watch(ctx, org, 0) {
						if err != nil {
							return
						}
						n++
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
			cancel()
			wg.Wait()
		})
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
