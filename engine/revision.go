package engine

import (
	"context"
	"math"
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

// wakeInterval is the least time between two wake-ups of WaitRevision's
// waiters, and of a few watchers (see watchInterval). A commit after a
// quiet spell wakes them at once; a stream of commits wakes them once per
// interval, and each watcher then reads every commit since in one go.
// Without it, a hundred watchers would each wake, read and sleep once per
// commit, and the writer, sharing the processors with them, would slow
// down in proportion.
const wakeInterval = 2 * time.Millisecond

// Watchers wake on a cadence of their own, which stretches with their
// number: waking one costs the processors about half a microsecond (to
// ready it, run it to its read and park it again), whatever the number of
// commits it then reads, so that waking n watchers at most every
// n*wakePerWatcher keeps the wake-ups of any number of them to about 1% of
// one core. A hundred watchers wake every 5 ms under a stream of commits;
// none ever waits longer than maxWatchInterval past a commit.
const (
	wakePerWatcher   = 50 * time.Microsecond
	maxWatchInterval = 10 * time.Millisecond
)

// watchInterval is the least time between two wake-ups of n watchers.
func watchInterval(n int64) time.Duration {
	return min(max(time.Duration(n)*wakePerWatcher, wakeInterval), maxWatchInterval)
}

// revisionSignal wakes every goroutine waiting for the next revision, or
// for Close. The writer only rings a doorbell (a non-blocking send to one
// goroutine, started by the first waiter); that goroutine closes the
// channels the waiters wait on, so the writer never pays for their number.
// Waiters take their channel with an atomic load: a hundred of them waking
// at once do not queue on a lock. WaitRevision's waiters and the watchers
// wait on two channels, each woken on its own cadence (wakeInterval,
// watchInterval).
type revisionSignal struct {
	// next is closed at the next wake-up of WaitRevision's waiters, watch
	// at the next of the watchers; nil while nobody waits.
	next  atomic.Pointer[chan struct{}]
	watch atomic.Pointer[chan struct{}]
	// watchers is how many watchers are live (see watching).
	watchers atomic.Int64
	// mu guards starting and stopping the fan-out goroutine.
	mu     sync.Mutex
	stop   chan struct{} // ends the fan-out goroutine
	closed bool
	// doorbell is the fan-out goroutine's, nil until the first waiter.
	doorbell atomic.Pointer[chan struct{}]
}

// wait returns a channel closed at the next wake-up of WaitRevision's
// waiters after a commit (or at close). A caller that waits after close
// must check for it itself.
func (s *revisionSignal) wait() <-chan struct{} { return s.waitOn(&s.next) }

// waitWatch is wait for a watcher, which has called watching.
func (s *revisionSignal) waitWatch() <-chan struct{} { return s.waitOn(&s.watch) }

// watching counts a watcher in until the returned func is called: the
// watchers' cadence follows their number.
func (s *revisionSignal) watching() (done func()) {
	s.watchers.Add(1)
	return func() { s.watchers.Add(-1) }
}

func (s *revisionSignal) waitOn(next *atomic.Pointer[chan struct{}]) <-chan struct{} {
	if s.doorbell.Load() == nil {
		s.startFanOut()
	}
	for {
		if ch := next.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if next.CompareAndSwap(nil, &ch) {
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

// fanOut wakes each kind of waiter once after each ring, each at most once
// per its interval: a ring during the pause of one kind is covered by that
// kind's coming wake-up.
func (s *revisionSignal) fanOut(bell <-chan struct{}, stop <-chan struct{}) {
	var lastAll, lastWatch time.Time
	owedAll, owedWatch := false, false
	pause := time.NewTimer(time.Hour)
	defer pause.Stop()
	for {
		if !owedAll && !owedWatch {
			select {
			case <-stop:
				return
			case <-bell:
				owedAll, owedWatch = true, true
			}
		}
		now := time.Now()
		due := time.Duration(math.MaxInt64)
		if owedAll {
			due = min(due, lastAll.Add(wakeInterval).Sub(now))
		}
		if owedWatch {
			due = min(due, lastWatch.Add(watchInterval(s.watchers.Load())).Sub(now))
		}
		if due > 0 {
			ring := bell
			if owedAll && owedWatch {
				ring = nil // a ring now changes nothing: wait for the pause alone
			}
			pause.Reset(due)
			select {
			case <-stop:
				return
			case <-ring:
				owedAll, owedWatch = true, true
				pause.Stop()
				continue // the pause to wait may be shorter now
			case <-pause.C:
			}
		}
		now = time.Now()
		if owedAll && !now.Before(lastAll.Add(wakeInterval)) {
			owedAll, lastAll = false, now
			wake(&s.next)
		}
		if owedWatch && !now.Before(lastWatch.Add(watchInterval(s.watchers.Load()))) {
			owedWatch, lastWatch = false, now
			wake(&s.watch)
		}
	}
}

// wakeAll wakes every waiter now (Close).
func (s *revisionSignal) wakeAll() {
	wake(&s.next)
	s.wakeWatchers()
}

// wakeWatchers wakes every watcher now: one's ctx has ended.
func (s *revisionSignal) wakeWatchers() { wake(&s.watch) }

func wake(next *atomic.Pointer[chan struct{}]) {
	if ch := next.Swap(nil); ch != nil {
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
