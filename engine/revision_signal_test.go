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
// stream, whatever the number of watchers; a watcher's ctx ending wakes the
// watchers alone.
func TestRevisionSignalWakesWatchersAndWaiters(t *testing.T) {
	var s revisionSignal
	defer s.close()
	for _, watchers := range []int{1, 100, 1000} {
		var done []func()
		for range watchers {
			done = append(done, s.watching())
		}
		assert.Equal(t, int64(watchers), s.watchers.Load())
		for i := range 5 {
			waiter, watcher := s.wait(), s.waitWatch()
			for range i * 10 {
				s.notify()
			}
			s.notify()
			requireWoken(t, waiter, fmt.Sprintf("%d watchers, round %d: waiter", watchers, i))
			requireWoken(t, watcher, fmt.Sprintf("%d watchers, round %d: watcher", watchers, i))
		}
		for _, d := range done {
			d()
		}
		assert.Zero(t, s.watchers.Load())
	}

	waiter, watcher := s.wait(), s.waitWatch()
	s.wakeWatchers()
	requireWoken(t, watcher, "a watcher's ctx ending")
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
}
