package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// dirSize is the total size of the files in dir.
func dirSize(b *testing.B, dir string) int64 {
	var n int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func openBench(b *testing.B, opts ...engine.Option) *engine.Engine {
	e, err := engine.Open(append([]engine.Option{engine.WithSweepInterval(0)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkPersistOpen measures Open of a durable state of 100k and of 1M
// grants, from a snapshot (after a checkpoint) and from the journal (the
// BulkCreate that made it, one commit in part records), beside the
// in-memory BulkCreate of the same grants, which the design's target
// compares it with (Open no more than 1.2x). It also measures Snapshot of
// the state and reports the disk size per grant, and the CPU time per op
// beside the wall time (Open works on two goroutines: on a busy machine the
// wall time also counts the time others held the cores). Each state is
// built once per run; 1M is skipped under -short.
//
//	go test -run '^$' -bench 'PersistOpen/.*/1M' -benchtime 1x -count 5 ./engine/
func BenchmarkPersistOpen(b *testing.B) {
	for _, scale := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run(scale.name, func(b *testing.B) {
			if scale.n >= 1_000_000 && testing.Short() {
				b.Skip("a million grants: not under -short")
			}
			benchPersistOpen(b, scale.n)
		})
	}
}

func benchPersistOpen(b *testing.B, n int) {
	ctx := context.Background()
	items := bulkOrganisation(n)
	journalDir := filepath.Join(b.TempDir(), "journal")
	snapDir := filepath.Join(b.TempDir(), "snapshot")
	e := openBench(b, engine.WithPath(journalDir), engine.WithCheckpointEvery(0, 0))
	if _, err := e.BulkCreate(ctx, "org_bench", items, bulk.Options{}); err != nil {
		b.Fatal(err)
	}
	if err := e.Snapshot(ctx, snapDir); err != nil {
		b.Fatal(err)
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}

	b.Run("BulkCreate_in_memory", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			e := openBench(b)
			b.StartTimer()
			if _, err := e.BulkCreate(ctx, "org_bench", items, bulk.Options{}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			e.Close()
			b.StartTimer()
		}
	})
	for _, src := range []struct{ name, dir string }{{"snapshot", snapDir}, {"journal", journalDir}} {
		b.Run("Open_"+src.name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				runtime.GC() // the last op's engine is garbage: not this op's work
				b.StartTimer()
				start := cpuTime()
				e := openBench(b, engine.WithPath(src.dir), engine.WithCheckpointEvery(0, 0))
				cpu += cpuTime() - start
				b.StopTimer()
				ok, err := e.Check(ctx, "org_bench", items[0].Grantee.ID, items[0].Entity, model.LevelRead)
				if err != nil || (!ok && items[0].Grantee.Type == model.SubjectUser) {
					b.Fatalf("loaded state does not answer: %v %v", ok, err)
				}
				e.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(dirSize(b, src.dir))/float64(n), "disk_B/grant")
		})
	}
	b.Run("Snapshot", func(b *testing.B) {
		e := openBench(b, engine.WithPath(snapDir))
		defer e.Close()
		for i := 0; b.Loop(); i++ {
			dst := filepath.Join(b.TempDir(), fmt.Sprint(i))
			if err := e.Snapshot(ctx, dst); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.RemoveAll(dst)
			b.StartTimer()
		}
	})
}

// BenchmarkPersistCreateGrant measures one durable CreateGrant (one commit,
// one journal record) under each sync policy, beside the in-memory engine.
//
//	go test -run '^$' -bench PersistCreateGrant -count 5 ./engine/
func BenchmarkPersistCreateGrant(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name string
		opts func(dir string) []engine.Option
	}{
		{"in_memory", func(string) []engine.Option { return nil }},
		{"SyncAlways", func(dir string) []engine.Option {
			return []engine.Option{engine.WithPath(dir), engine.WithSync(engine.SyncAlways)}
		}},
		{"SyncEverySecond", func(dir string) []engine.Option {
			return []engine.Option{engine.WithPath(dir), engine.WithSync(engine.SyncEverySecond)}
		}},
		{"SyncNever", func(dir string) []engine.Option {
			return []engine.Option{engine.WithPath(dir), engine.WithSync(engine.SyncNever)}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := openBench(b, c.opts(b.TempDir())...)
			defer e.Close()
			for i := 0; b.Loop(); i++ {
				g, err := e.CreateGrant(ctx, "org_bench", benchInput(i))
				if err != nil {
					b.Fatal(err)
				}
				sinkGrant = g
			}
		})
	}
}

// BenchmarkPersistBulkCreate measures a durable BulkCreate of 10k grants
// with SyncAlways: one commit, one journal record, one fsync.
//
//	go test -run '^$' -bench PersistBulkCreate -count 5 ./engine/
func BenchmarkPersistBulkCreate(b *testing.B) {
	ctx := context.Background()
	items := bulkOrganisation(10_000)
	for _, durable := range []bool{false, true} {
		name := "in_memory/10k"
		if durable {
			name = "SyncAlways/10k"
		}
		b.Run(name, func(b *testing.B) {
			var opts []engine.Option
			if durable {
				opts = append(opts, engine.WithPath(b.TempDir()), engine.WithSync(engine.SyncAlways))
			}
			e := openBench(b, opts...)
			defer e.Close()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				// A new organisation each time, so every item is created.
				res, err := e.BulkCreate(ctx, fmt.Sprintf("org_%d", i), items, bulk.Options{})
				if err != nil || res.Summary.Succeeded != len(items) {
					b.Fatalf("%v %+v", err, res.Summary)
				}
			}
			b.ReportMetric(float64(len(items)*b.N)/time.Since(start).Seconds(), "grants/s")
		})
	}
}
