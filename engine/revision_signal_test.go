package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// signalBound bounds the waits here: a hang fails, it does not time a
// behaviour.
const signalBound = 10 * time.Second

func requireWoken(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(signalBound):
		t.Fatalf("%s: not woken", what)
	}
}

// Every notify after a wait wakes that waiter, whether it comes alone or in
// a stream that the fan-out merges; close wakes the rest and a later wait
// starts nothing.
func TestRevisionSignal(t *testing.T) {
	var s revisionSignal
	s.notify() // nobody waits yet: a no-op

	first := s.wait()
	s.notify()
	requireWoken(t, first, "a lone commit")

	for i := range 50 {
		ch := s.wait()
		for range 10 {
			s.notify()
		}
		requireWoken(t, ch, fmt.Sprintf("a stream of commits, round %d", i))
	}

	waiting := s.wait()
	s.close()
	requireWoken(t, waiting, "close")
	s.close() // twice is fine

	after := s.wait()
	s.notify()
	select {
	case <-after:
		t.Fatal("a wait after close is never woken: its caller checks for close")
	default:
	}
	assert.Nil(t, s.stop)
}

// WaitRevision's waiters and the watchers are woken each on their own
// cadence, and every notify after a wait wakes both kinds, alone or in a
// stream, whatever the number of watchers and in whichever of their groups
// they wait (all of them, or one alone); a watcher's ctx ending wakes every
// group of watchers and no waiter.
func TestRevisionSignalWakesWatchersAndWaiters(t *testing.T) {
	var s revisionSignal
	defer s.close()
	for _, watchers := range []int{1, 100, 1000} {
		var done []func()
		dealt := make([]int, watchGroups)
		for range watchers {
			g, d := s.watching()
			dealt[g]++
			done = append(done, d)
		}
		assert.Equal(t, int64(watchers), s.watchers.Load())
		for _, n := range dealt {
			assert.InDelta(t, watchers/watchGroups, n, 1, "watchers are dealt evenly: %v", dealt)
		}
		for i := range 5 {
			waiting := []int{i % watchGroups}
			if i%2 == 0 {
				waiting = []int{0, 1, 2, 3, 4, 5, 6, 7}
			}
			waiter := s.wait()
			var woken []<-chan struct{}
			for _, g := range waiting {
				woken = append(woken, s.waitWatch(g))
			}
			for range i * 10 {
				s.notify()
			}
			s.notify()
			requireWoken(t, waiter, fmt.Sprintf("%d watchers, round %d: waiter", watchers, i))
			for j, ch := range woken {
				requireWoken(t, ch, fmt.Sprintf("%d watchers, round %d: watcher group %d", watchers, i, waiting[j]))
			}
		}
		for _, d := range done {
			d()
		}
		assert.Zero(t, s.watchers.Load())
	}

	waiter := s.wait()
	var watching []<-chan struct{}
	for g := range watchGroups {
		watching = append(watching, s.waitWatch(g))
	}
	s.wakeWatchers()
	for g, ch := range watching {
		requireWoken(t, ch, fmt.Sprintf("a watcher's ctx ending: group %d", g))
	}
	select {
	case <-waiter:
		t.Fatal("a watcher's ctx ending wakes no WaitRevision")
	default:
	}
}

// The watchers' wake-ups come no more often than WaitRevision's, further
// apart as there are more watchers, and never further than
// maxWatchInterval.
func TestWatchInterval(t *testing.T) {
	for _, tc := range []struct {
		watchers int64
		want     time.Duration
	}{
		{0, wakeInterval},
		{1, wakeInterval},
		{40, wakeInterval},
		{100, 5 * time.Millisecond},
		{200, maxWatchInterval},
		{100_000, maxWatchInterval},
	} {
		assert.Equal(t, tc.want, watchInterval(tc.watchers), "%d watchers", tc.watchers)
	}
	assert.Less(t, (watchGroups-1)*watchStep(maxWatchInterval), maxWatchInterval/2,
		"a group waits at most half an interval for the others' turns")
}
