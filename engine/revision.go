package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Revision returns the revision readers see: the last commit published.
// It is 0 for an engine that has committed nothing, and keeps its value
// after Close. A caller hands it to another process as a consistency
// token: a read there after WaitRevision(rev) sees every write up to it.
func (e *Engine) Revision() uint64 { return e.current.Load().snap.Revision() }

// WaitRevision returns nil once the engine has published revision rev: at
// once when it has. Otherwise it blocks until it does, ctx ends (its
// error) or the engine closes (ErrClosed). Under a stream of commits a
// waiter is woken at most every few milliseconds (see wakeInterval), so
// that waiters never cost a writer more than one wake-up per commit.
func (e *Engine) WaitRevision(ctx context.Context, rev uint64) error {
	for {
		woken := e.published.wait()
		if e.Revision() >= rev {
			return nil
		}
		if e.closed.Load() {
			return closedError()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-woken:
		}
	}
}

// wakeInterval is the least time between two wake-ups of the waiters
// (WaitRevision, Watch). A commit after a quiet spell wakes them at once;
// a stream of commits wakes them once per interval, and each watcher then
// reads every commit since in one go. Without it, a hundred watchers would
// each wake, read and sleep once per commit, and the writer, sharing the
// processors with them, would slow down in proportion.
const wakeInterval = 2 * time.Millisecond

// revisionSignal wakes every goroutine waiting for the next revision, or
// for Close. The writer only rings a doorbell (a non-blocking send to one
// goroutine, started by the first waiter); that goroutine closes the
// channel the waiters wait on, so the writer never pays for their number.
// Waiters take that channel with an atomic load: a hundred of them waking
// at once do not queue on a lock.
type revisionSignal struct {
	// next is closed at the next wake-up; nil while nobody waits.
	next atomic.Pointer[chan struct{}]
	// mu guards starting and stopping the fan-out goroutine.
	mu     sync.Mutex
	stop   chan struct{} // ends the fan-out goroutine
	closed bool
	// doorbell is the fan-out goroutine's, nil until the first waiter.
	doorbell atomic.Pointer[chan struct{}]
}

// wait returns a channel closed at the next wake-up after a commit (or at
// close). A caller that waits after close must check for it itself.
func (s *revisionSignal) wait() <-chan struct{} {
	if s.doorbell.Load() == nil {
		s.startFanOut()
	}
	for {
		if ch := s.next.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if s.next.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

func (s *revisionSignal) startFanOut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doorbell.Load() == nil && !s.closed {
		bell := make(chan struct{}, 1)
		s.stop = make(chan struct{})
		s.doorbell.Store(&bell)
		go s.fanOut(bell, s.stop)
	}
}

// notify tells the waiters a revision was published. It runs under
// writeMu, once per commit, and never blocks.
func (s *revisionSignal) notify() {
	if bell := s.doorbell.Load(); bell != nil {
		select {
		case *bell <- struct{}{}:
		default: // already rung: the coming wake-up covers this commit
		}
	}
}

// fanOut wakes the waiters once per ring, at most once per wakeInterval.
func (s *revisionSignal) fanOut(bell <-chan struct{}, stop <-chan struct{}) {
	var last time.Time
	var pause *time.Timer
	for {
		select {
		case <-stop:
			return
		case <-bell:
		}
		if wait := wakeInterval - time.Since(last); !last.IsZero() && wait > 0 {
			if pause == nil {
				pause = time.NewTimer(wait)
			} else {
				pause.Reset(wait)
			}
			select {
			case <-stop:
				pause.Stop()
				return
			case <-pause.C:
			}
		}
		s.wakeAll()
		last = time.Now()
	}
}

func (s *revisionSignal) wakeAll() {
	if ch := s.next.Swap(nil); ch != nil {
		close(*ch)
	}
}

// close wakes every waiter now and stops the fan-out goroutine. Close
// calls it after marking the engine closed.
func (s *revisionSignal) close() {
	s.mu.Lock()
	s.closed = true
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	s.mu.Unlock()
	s.wakeAll()
}
