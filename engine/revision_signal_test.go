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
