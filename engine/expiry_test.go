package engine

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// The expiry tests are white-box: they sweep on demand (sweepNow) and look
// at the store rows, which no public call shows once a grant has ended.

const sweepOrg = "org-sweep"

var sweepStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sweepClock is a settable clock, safe for concurrent use.
type sweepClock struct{ t atomic.Pointer[time.Time] }

func (c *sweepClock) Now() time.Time          { return *c.t.Load() }
func (c *sweepClock) Set(t time.Time)         { c.t.Store(&t) }
func (c *sweepClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// newSweepEngine opens an engine on a fake clock with the background
// sweeper off unless opts turn it on.
func newSweepEngine(t *testing.T, opts ...Option) (*Engine, *sweepClock) {
	t.Helper()
	clock := &sweepClock{}
	clock.Set(sweepStart)
	opts = append([]Option{WithClock(clock.Now), WithSweepInterval(0)}, opts...)
	e, err := Open(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e, clock
}

func sweepGrant(t *testing.T, e *Engine, entity, user string, to time.Time) model.Grant {
	t.Helper()
	g, err := e.CreateGrant(context.Background(), sweepOrg, model.GrantInput{
		Entity:      model.EntityRef{Type: "doc", ID: entity},
		Grantee:     model.User(user),
		Level:       model.LevelRead,
		EffectiveTo: to,
	})
	require.NoError(t, err)
	return g
}

// stored reports whether the grant's row is still in the store, whatever
// its window.
func stored(e *Engine, g model.Grant) bool {
	got, ok := e.current.Load().snap.Read().GrantByID(g.Org, g.ID)
	return ok && got.ID == g.ID
}

func revision(e *Engine) uint64 { return e.current.Load().snap.Revision() }

func sweep(t *testing.T, e *Engine) int {
	t.Helper()
	n, err := e.sweepNow(context.Background())
	require.NoError(t, err)
	return n
}

func TestSweepRemovesEndedGrants(t *testing.T) {
	e, clock := newSweepEngine(t)
	ctx := context.Background()
	first := sweepGrant(t, e, "d1", "ann", sweepStart.Add(time.Hour))
	second := sweepGrant(t, e, "d2", "ann", sweepStart.Add(2*time.Hour))
	open := sweepGrant(t, e, "d3", "ann", time.Time{})
	assert.Equal(t, 2, trackedEnds(e), "only grants with an end are tracked")

	assert.Zero(t, sweep(t, e), "nothing has ended yet")

	clock.Set(sweepStart.Add(time.Hour)) // exactly the first grant's end
	_, err := e.GetGrant(ctx, sweepOrg, first.ID)
	require.ErrorIs(t, err, model.ErrNotFound, "an ended grant is gone before any sweep")
	require.True(t, stored(e, first), "but its row is still stored")

	rev := revision(e)
	assert.Equal(t, 1, sweep(t, e))
	assert.False(t, stored(e, first))
	assert.True(t, stored(e, second))
	assert.True(t, stored(e, open))
	assert.Equal(t, rev+1, revision(e), "a sweep is one ordinary commit")
	assert.Equal(t, 1, trackedEnds(e))

	clock.Advance(time.Hour)
	assert.Equal(t, 1, sweep(t, e))
	assert.False(t, stored(e, second))
	assert.True(t, stored(e, open))
	assert.Zero(t, trackedEnds(e))

	rev = revision(e)
	assert.Zero(t, sweep(t, e), "a second sweep finds nothing")
	assert.Equal(t, rev, revision(e), "and commits nothing")
}

func TestSweepCommitsInBoundedBatches(t *testing.T) {
	e, clock := newSweepEngine(t)
	e.expiry.batch = 2
	var grants []model.Grant
	for _, id := range []string{"d1", "d2", "d3", "d4", "d5"} {
		grants = append(grants, sweepGrant(t, e, id, "bob", sweepStart.Add(time.Minute)))
	}
	clock.Advance(time.Minute)
	rev := revision(e)
	assert.Equal(t, 5, sweep(t, e))
	assert.Equal(t, rev+3, revision(e), "5 grants in batches of 2: three commits")
	for _, g := range grants {
		assert.False(t, stored(e, g), g.ID)
	}
}

// putGrant stores g as a bulk upsert would: under its key, replacing what is
// there.
func putGrant(t *testing.T, e *Engine, g model.Grant) {
	t.Helper()
	_, err := e.write(context.Background(), g.Org, func(tx *store.WriteTxn) error { return tx.PutGrant(g) })
	require.NoError(t, err)
}

func TestSweepFollowsChangedGrants(t *testing.T) {
	end := sweepStart.Add(time.Hour)
	cases := []struct {
		name string
		// change rewrites the grant (it runs once the old end has passed
		// when afterEnd) and returns what is stored under its key.
		afterEnd bool
		change   func(t *testing.T, e *Engine, old model.Grant) model.Grant
		// newEnd is when the stored grant ends (zero: never).
		newEnd time.Time
	}{
		{
			name: "same id, later end",
			change: func(t *testing.T, e *Engine, old model.Grant) model.Grant {
				old.EffectiveTo = end.Add(time.Hour)
				putGrant(t, e, old)
				return old
			},
			newEnd: end.Add(time.Hour),
		},
		{
			name: "same id, end removed",
			change: func(t *testing.T, e *Engine, old model.Grant) model.Grant {
				old.EffectiveTo = time.Time{}
				putGrant(t, e, old)
				return old
			},
		},
		{
			name: "same id, earlier end",
			change: func(t *testing.T, e *Engine, old model.Grant) model.Grant {
				old.EffectiveTo = end.Add(-30 * time.Minute)
				putGrant(t, e, old)
				return old
			},
			newEnd: end.Add(-30 * time.Minute),
		},
		{
			name:     "ended, then created again without an end",
			afterEnd: true,
			change: func(t *testing.T, e *Engine, old model.Grant) model.Grant {
				return sweepGrant(t, e, old.Entity.ID, old.Grantee.ID, time.Time{})
			},
		},
		{
			name:     "ended, then created again with a later end",
			afterEnd: true,
			change: func(t *testing.T, e *Engine, old model.Grant) model.Grant {
				return sweepGrant(t, e, old.Entity.ID, old.Grantee.ID, end.Add(2*time.Hour))
			},
			newEnd: end.Add(2 * time.Hour),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, clock := newSweepEngine(t)
			old := sweepGrant(t, e, "doc", "cy", end)
			if tc.afterEnd {
				clock.Set(end)
			}
			now := tc.change(t, e, old)
			wantTracked := 0
			if !tc.newEnd.IsZero() {
				wantTracked = 1
			}
			assert.Equal(t, wantTracked, trackedEnds(e), "one entry per key, of the stored grant")

			if tc.newEnd.IsZero() {
				clock.Set(end.Add(24 * time.Hour))
				assert.Zero(t, sweep(t, e), "a grant without an end is never swept")
				assert.True(t, stored(e, now))
				return
			}
			clock.Set(tc.newEnd.Add(-time.Nanosecond))
			assert.Zero(t, sweep(t, e), "the old end no longer counts")
			assert.True(t, stored(e, now))
			clock.Set(tc.newEnd)
			assert.Equal(t, 1, sweep(t, e))
			assert.False(t, stored(e, now))
		})
	}
}

func TestSweepSkipsRevokedGrants(t *testing.T) {
	e, clock := newSweepEngine(t)
	g := sweepGrant(t, e, "d1", "dee", sweepStart.Add(time.Hour))
	require.NoError(t, e.RevokeGrant(context.Background(), sweepOrg, g.ID))
	assert.Zero(t, trackedEnds(e), "a revoked grant leaves the index")

	clock.Advance(2 * time.Hour)
	rev := revision(e)
	assert.Zero(t, sweep(t, e))
	assert.Equal(t, rev, revision(e), "nothing left to sweep: no commit")
}

// TestEndedGrantsAreVersioned checks that which grants have ended is part of
// each revision: a snapshot taken before a sweep still answers for its own
// revision, the published one after it no longer lists the swept grant.
func TestEndedGrantsAreVersioned(t *testing.T) {
	e, clock := newSweepEngine(t)
	g := sweepGrant(t, e, "d1", "eve", sweepStart.Add(time.Hour))
	before := e.current.Load().snap
	clock.Advance(time.Hour)
	assert.Equal(t, 1, sweep(t, e))

	due := endedGrants(before.Read(), clock.Now(), 10)
	require.Len(t, due, 1, "the old revision still holds the ended grant")
	assert.Equal(t, g.ID, due[0].ID)
	assert.Empty(t, endedGrants(e.current.Load().snap.Read(), clock.Now(), 10))
	assert.Equal(t, 1, before.Read().GrantsWithEnd())
	assert.Zero(t, trackedEnds(e))
}

// trackedEnds is how many grants of the published revision have an end.
func trackedEnds(e *Engine) int { return e.current.Load().snap.Read().GrantsWithEnd() }

func TestSweeperRunsInTheBackground(t *testing.T) {
	e, clock := newSweepEngine(t, WithSweepInterval(time.Millisecond))
	g := sweepGrant(t, e, "d1", "fay", sweepStart.Add(time.Hour))
	clock.Advance(time.Hour)
	require.Eventually(t, func() bool { return !stored(e, g) }, 10*time.Second, time.Millisecond)
}

func TestCloseStopsTheSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := &sweepClock{}
	clock.Set(sweepStart)
	e, err := Open(WithClock(clock.Now), WithSweepInterval(time.Microsecond))
	require.NoError(t, err)
	ctx := context.Background()

	// Writers, readers and the sweeper all at once, then Close in the
	// middle of it: it must neither deadlock nor leave the sweeper running.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = e.CreateGrant(ctx, sweepOrg, model.GrantInput{
					Entity:      model.EntityRef{Type: "doc", ID: "d"},
					Grantee:     model.User("u" + strconv.Itoa(w) + "-" + strconv.Itoa(i)),
					Level:       model.LevelRead,
					EffectiveTo: clock.Now().Add(time.Millisecond),
				})
				clock.Advance(time.Millisecond)
				_, _ = e.ListGrants(ctx, sweepOrg, model.GrantQuery{})
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, e.Close())
	close(stop)
	wg.Wait()

	select {
	case <-e.expiry.done:
	default:
		t.Fatal("Close returned while the sweeper was still running")
	}
	require.ErrorIs(t, e.Close(), model.ErrClosed)
	_, err = e.sweepNow(ctx)
	require.ErrorIs(t, err, model.ErrClosed)
	// Polled here rather than with assert.Eventually, which runs its
	// condition on goroutines of its own.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		after = runtime.NumGoroutine()
	}
	assert.LessOrEqual(t, after, before, "no goroutine outlives Close")
}

func TestSweepIntervalDefault(t *testing.T) {
	assert.Equal(t, DefaultSweepInterval, defaultConfig().sweepInterval)

	// The option's doc names the default; it must not drift from the
	// constant.
	doc := optionDoc(t, "WithSweepInterval")
	assert.Contains(t, doc, "Default: "+DefaultSweepInterval.String()+" (DefaultSweepInterval)")

	cfg := defaultConfig()
	WithSweepInterval(-time.Second)(&cfg)
	assert.Equal(t, -time.Second, cfg.sweepInterval)
	e, _ := newSweepEngine(t, WithSweepInterval(-time.Second))
	assert.Nil(t, e.expiry.cancel, "a negative interval starts no sweeper")
}
