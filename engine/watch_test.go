package engine_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// waitBound bounds every wait of these tests: a hang fails, it does not
// time a behaviour.
const waitBound = 10 * time.Second

// watched is what one watcher saw: its changes and the error that ended it.
type watched struct {
	changes []model.Change
	err     error
}

// watchUntil watches org after after until it has seen n changes, then
// cancels and reads to the end.
func watchUntil(ctx context.Context, e *engine.Engine, org string, after uint64, n int) watched {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var w watched
	for ch, err := range e.Watch(ctx, org, after) {
		if err != nil {
			w.err = err
			break
		}
		w.changes = append(w.changes, ch)
		if len(w.changes) == n {
			cancel()
		}
	}
	return w
}

// Watch yields what Changes returns, then each new commit as it comes, and
// ends with ctx's error.
func TestWatchYieldsBacklogThenNewCommits(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	for i := range 3 {
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	done := make(chan watched)
	go func() { done <- watchUntil(ctx, e, testOrg, 0, 6) }()
	for i := 3; i < 6; i++ {
		mustCreate(t, e, otherOrg, grantInput("d"+strconv.Itoa(i), "u1"))
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	w := <-done
	assert.ErrorIs(t, w.err, context.Canceled)
	assert.Equal(t, changesAfter(t, e, testOrg, 0), w.changes)
	assert.Equal(t, []uint64{1, 2, 3, 5, 7, 9}, revisionsOf(w.changes))
}

// Many watchers each see every commit of their organisation, in order,
// while writers write concurrently.
func TestWatchManyWatchers(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	const watchers, writes = 40, 100
	orgs := []string{testOrg, otherOrg}
	results := make([]watched, watchers)
	var wg sync.WaitGroup
	for i := range watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = watchUntil(ctx, e, orgs[i%2], 0, writes)
		}()
	}
	var writers sync.WaitGroup
	for _, org := range orgs {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range writes {
				_, err := e.CreateGrant(ctx, org, grantInput("d"+strconv.Itoa(i), "u1"))
				assert.NoError(t, err)
			}
		}()
	}
	writers.Wait()
	wg.Wait()
	want := map[string][]model.Change{testOrg: changesAfter(t, e, testOrg, 0), otherOrg: changesAfter(t, e, otherOrg, 0)}
	for i, w := range results {
		assert.ErrorIs(t, w.err, context.Canceled, "watcher %d", i)
		assert.Equal(t, want[orgs[i%2]], w.changes, "watcher %d", i)
	}
}

// Watching from any revision yields exactly the commits after it.
func TestWatchResumesFromAnyRevision(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	for i := range 8 {
		org := testOrg
		if i%3 == 0 {
			org = otherOrg
		}
		mustCreate(t, e, org, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	all := changesAfter(t, e, testOrg, 0)
	for after := uint64(0); after <= e.Revision(); after++ {
		want := changesAfter(t, e, testOrg, after)
		if len(want) == 0 {
			continue
		}
		w := watchUntil(ctx, e, testOrg, after, len(want))
		assert.Equal(t, want, w.changes, "after %d", after)
		assert.Subset(t, all, w.changes)
	}
}

// A consumer that stops ranging ends the watch; a ctx that ends while the
// watcher waits ends it with ctx's error.
func TestWatchCancellation(t *testing.T) {
	e, _ := newTestEngine(t)
	mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	mustCreate(t, e, testOrg, grantInput("d2", "u1"))

	n := 0
	for _, err := range e.Watch(context.Background(), testOrg, 0) {
		require.NoError(t, err)
		n++
		break
	}
	assert.Equal(t, 1, n, "breaking out stops the sequence")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	w := watchUntil(ctx, e, testOrg, 0, 100)
	assert.Len(t, w.changes, 2)
	assert.ErrorIs(t, w.err, context.DeadlineExceeded)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	w = watchUntil(ctx, e, testOrg, 0, 100)
	assert.Empty(t, w.changes)
	assert.ErrorIs(t, w.err, context.Canceled, "a dead ctx ends the watch at once")
}

// A watcher that stops reading never holds a writer up; once the commits
// it has not seen leave the window, its next read is ErrCompacted.
func TestWatchSlowConsumerGetsCompacted(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithChangeRetention(10))
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	mustCreate(t, e, testOrg, grantInput("d0", "u1"))

	seenFirst, resume := make(chan struct{}), make(chan struct{})
	done := make(chan watched)
	go func() {
		var w watched
		for ch, err := range e.Watch(ctx, testOrg, 0) {
			if err != nil {
				w.err = err
				break
			}
			w.changes = append(w.changes, ch)
			if len(w.changes) == 1 {
				close(seenFirst)
				<-resume // stops reading while the writers go on
			}
		}
		done <- w
	}()
	<-seenFirst
	for i := range 100 {
		mustCreate(t, e, testOrg, grantInput("e"+strconv.Itoa(i), "u1"))
	}
	close(resume)
	w := <-done
	require.NotEmpty(t, w.changes)
	assert.Equal(t, uint64(1), w.changes[0].Revision)
	assert.ErrorIs(t, w.err, model.ErrCompacted)
}

// A watch on a bad org, or on a closed engine, ends with that error; Close
// ends the watchers that wait.
func TestWatchEndsWithTheEnginesErrors(t *testing.T) {
	e, _ := newTestEngine(t)
	w := watchUntil(context.Background(), e, "", 0, 1)
	requireModelError(t, w.err, model.ErrValidation, model.FieldOrg)

	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	done := make(chan watched)
	go func() { done <- watchUntil(ctx, e, testOrg, 0, 100) }()
	require.NoError(t, e.WaitRevision(ctx, 1))
	waiting := make(chan error)
	go func() { waiting <- e.WaitRevision(ctx, 2) }()
	require.NoError(t, e.Close())
	w = <-done
	assert.ErrorIs(t, w.err, model.ErrClosed)
	assert.ErrorIs(t, <-waiting, model.ErrClosed)
	assert.Equal(t, uint64(1), e.Revision(), "Revision keeps its value after Close")
}

func TestWaitRevision(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	assert.Equal(t, uint64(0), e.Revision())
	require.NoError(t, e.WaitRevision(ctx, 0), "revision 0 is always published")

	mustCreate(t, e, testOrg, grantInput("d1", "u1"))
	dead, stop := context.WithCancel(context.Background())
	stop()
	assert.NoError(t, e.WaitRevision(dead, 1), "a published revision returns at once, whatever ctx")

	waited := make(chan error)
	go func() { waited <- e.WaitRevision(ctx, 3) }()
	mustCreate(t, e, otherOrg, grantInput("d1", "u1"))
	mustCreate(t, e, testOrg, grantInput("d2", "u1"))
	require.NoError(t, <-waited)
	assert.Equal(t, uint64(3), e.Revision())

	short, stop := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer stop()
	assert.ErrorIs(t, e.WaitRevision(short, 4), context.DeadlineExceeded)
}

// Watchers and Changes readers racing a writer that evicts from a small
// window each see an unbroken run of the organisation's commits: from
// their start, in order, until they stop or get ErrCompacted, never a gap.
// Slow watchers fall behind and are compacted; fast ones may keep up.
func TestWatchRacesEviction(t *testing.T) {
	// A window of about what a watcher reads per wake-up: readers follow
	// commits that are being evicted as they read them.
	e, _ := newTestEngine(t, engine.WithChangeRetention(256))
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	const writes = 1200
	var (
		mu   sync.Mutex
		revs []uint64 // testOrg's revisions, in order: the writer is alone
	)
	const watchers = 6
	results := make([]watched, watchers)
	var readers sync.WaitGroup
	for i := range watchers {
		readers.Add(1)
		go func() {
			defer readers.Done()
			ctx, stop := context.WithCancel(ctx)
			defer stop()
			w := &results[i]
			for ch, err := range e.Watch(ctx, testOrg, 0) {
				if err != nil {
					w.err = err
					break
				}
				w.changes = append(w.changes, ch)
				if i%2 == 1 && len(w.changes)%10 == 0 {
					time.Sleep(time.Duration(i) * 100 * time.Microsecond) // a slow consumer
				}
				if len(w.changes) == writes*2/3 {
					stop()
				}
			}
		}()
	}
	type page struct {
		after uint64
		revs  []uint64
	}
	var pages []page
	readers.Add(1)
	done := make(chan struct{})
	go func() {
		defer readers.Done()
		for after := uint64(0); ; {
			select {
			case <-done:
				return
			default:
			}
			got, err := e.Changes(ctx, testOrg, after, 3)
			if errors.Is(err, model.ErrCompacted) {
				after = e.Revision()
				continue
			}
			if !assert.NoError(t, err) {
				return
			}
			pages = append(pages, page{after, revisionsOf(got)})
			if len(got) > 0 {
				after = got[len(got)-1].Revision
			}
		}
	}()
	for i := range writes {
		org := testOrg
		if i%3 == 2 {
			org = otherOrg
		}
		_, err := e.CreateGrant(ctx, org, grantInput("d"+strconv.Itoa(i), "u1"))
		require.NoError(t, err)
		if org == testOrg {
			mu.Lock()
			revs = append(revs, e.Revision())
			mu.Unlock()
		}
	}
	close(done)
	readers.Wait()

	require.Len(t, revs, writes*2/3)
	for i, w := range results {
		got := revisionsOf(w.changes)
		assert.Equal(t, revs[:len(got)], got, "watcher %d sees every commit from the first, in order", i)
		if len(got) < len(revs) {
			assert.ErrorIs(t, w.err, model.ErrCompacted, "watcher %d stopped early", i)
		} else {
			assert.ErrorIs(t, w.err, context.Canceled, "watcher %d", i)
		}
	}
	for _, p := range pages {
		first := sort.Search(len(revs), func(i int) bool { return revs[i] > p.after })
		assert.Equal(t, revs[first:first+len(p.revs)], p.revs, "the page after %d", p.after)
	}
}
