package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func TestSnapshotDuringHeavyWritesIsPointInTime(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable %v", durable), func(t *testing.T) {
			clock := newFakeClock(t0)
			ctx := context.Background()
			var e *engine.Engine
			if durable {
				e = openDurable(t, t.TempDir(), clock, engine.WithSync(engine.SyncNever))
			} else {
				e, _ = newTestEngine(t, engine.WithClock(clock.Now))
			}
			base := engine.PublishedRevision(e)

			// One writer commits grant i as revision base+i+1 until told to
			// stop, recording every grant it made.
			const minWrites = 200
			stop := make(chan struct{})
			started := make(chan struct{})
			var made []model.Grant
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				// After stop, a few more writes: the snapshots must not have
				// them, however late the stop came.
				extra := -1
				for i := 0; ; i++ {
					if i == minWrites/2 {
						close(started)
					}
					if extra < 0 {
						select {
						case <-stop:
							extra = 3
						default:
						}
					}
					if extra == 0 && i >= minWrites {
						return
					}
					if extra > 0 {
						extra--
					}
					g, err := e.CreateGrant(ctx, testOrg, grantInput(fmt.Sprintf("d%05d", i), fmt.Sprintf("u%d", i%7)))
					if !assert.NoError(t, err) {
						return
					}
					made = append(made, g)
				}
			}()
			<-started
			copies := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
			for _, p := range copies {
				require.NoError(t, e.Snapshot(ctx, p))
			}
			close(stop)
			wg.Wait()
			require.GreaterOrEqual(t, len(made), minWrites)

			prev := uint64(0)
			for _, p := range copies {
				c := openDurable(t, p, clock)
				rev := engine.PublishedRevision(c)
				n := int(rev - base)
				require.Greater(t, n, 0, "taken while writes went on")
				require.Less(t, n, len(made), "later writes are not in it")
				require.GreaterOrEqual(t, rev, prev, "snapshots taken later are not older")
				prev = rev
				// Exactly the grants of the first n commits, as they were.
				want := append([]model.Grant(nil), made[:n]...)
				assert.Equal(t, want, listAll(t, c, testOrg, model.GrantQuery{}))
				for _, g := range []model.Grant{made[0], made[n-1], made[n]} {
					for _, u := range []string{g.Grantee.ID, "nobody"} {
						got, err := c.Resolve(ctx, testOrg, u, g.Entity)
						require.NoError(t, err)
						wantD, err := e.Resolve(ctx, testOrg, u, g.Entity)
						require.NoError(t, err)
						if g.ID == made[n].ID {
							assert.Equal(t, model.LevelNone, got.Level)
							continue
						}
						assert.Equal(t, wantD, got)
					}
				}
				// The copy is a database of its own: it takes writes, and its
				// ids sort after the ones it holds.
				g := mustCreate(t, c, testOrg, grantInput("fresh", "zed"))
				assert.Greater(t, g.ID, made[n-1].ID)
				assert.Equal(t, rev+1, engine.PublishedRevision(c))
			}
		})
	}
}

func TestSnapshotRefusesBadTargets(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))

	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644))
	err := e.Snapshot(ctx, full)
	require.Error(t, err)
	assert.Contains(t, err.Error(), full)
	b, rerr := os.ReadFile(filepath.Join(full, "keep.txt"))
	require.NoError(t, rerr)
	assert.Equal(t, "mine", string(b), "a refused snapshot touches nothing")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	err = e.Snapshot(ctx, file)
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrNotDatabase)

	requireModelError(t, e.Snapshot(ctx, ""), model.ErrValidation, "path")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, e.Snapshot(cancelled, filepath.Join(t.TempDir(), "c")), context.Canceled)

	require.NoError(t, e.Close())
	assert.ErrorIs(t, e.Snapshot(ctx, filepath.Join(t.TempDir(), "d")), model.ErrClosed)
}

func TestSnapshotOfOpenDatabaseIsRefusedInPlace(t *testing.T) {
	// A durable engine's own directory is not empty: Snapshot refuses it
	// rather than write over the live files.
	dir := t.TempDir()
	e := openDurable(t, dir, newFakeClock(t0))
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	require.Error(t, e.Snapshot(context.Background(), dir))
	mustCreate(t, e, testOrg, grantInput("d2", "alice"))
}
