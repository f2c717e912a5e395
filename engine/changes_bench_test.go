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

// BenchmarkChanges_Read measures the feed's read throughput from memory:
// pages of 1000 one-grant commits, reported as commits/s.
func BenchmarkChanges_Read(b *testing.B) {
	const commits = 10_000
	e, _ := fillEngine(b, commits)
	defer e.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	read := 0
	for range b.N {
		for after := uint64(0); ; {
			page, err := e.Changes(ctx, testOrg, after, model.MaxPageSize)
			if err != nil {
				b.Fatal(err)
			}
			read += len(page)
			sinkChanges = page
			if len(page) < model.MaxPageSize {
				break
			}
			after = page[len(page)-1].Revision
		}
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "commits/s")
}
