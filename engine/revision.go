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
// a group of them may wait half as long again for its turn (see
// watchGroups), so none waits longer than 1.5 × maxWatchInterval past a
// commit.
const (
	wakePerWatcher   = 50 * time.Microsecond
	maxWatchInterval = 10 * time.Millisecond
)

// watchInterval is the least time between two wake-ups of n watchers.
func watchInterval(n int64) time.Duration {
	return min(max(time.Duration(n)*wakePerWatcher, wakeInterval), maxWatchInterval)
}

// watchGroups is how many groups the watchers are dealt into, each woken
// on the watchers' cadence but never two within watchStep of each other:
// a hundred watchers wake a dozen at a time, not all at once, so that a
// writer sharing the processors with them never queues behind a hundred
// runnable goroutines, and the commits a group reads are still in cache
// for the next.
const watchGroups = 8

// watchStep is the least time between the wake-ups of two groups of
// watchers, for an interval of the watchers' cadence: a group owed a
// wake-up waits at most half an interval for the others' turns.
func watchStep(interval time.Duration) time.Duration {
	return interval / (2 * watchGroups)
}

// revisionSignal wakes every goroutine waiting for the next revision, or
// for Close. The writer only counts its commit, and rings a doorbell (a
// non-blocking send) when the fan-out goroutine, started by the first
// waiter, sleeps; that goroutine closes the channels the waiters wait on,
// so the writer never pays for their number.
// Waiters take their channel with an atomic load: a hundred of them waking
// at once do not queue on a lock. WaitRevision's waiters wait on one
// channel, woken on its own cadence (wakeInterval); the watchers on one per
// group (see watchGroups), on theirs (watchInterval, watchStep).
type revisionSignal struct {
	// next is closed at the next wake-up of WaitRevision's waiters, watch[g]
	// at the next of watcher group g; nil while nobody waits.
	next  atomic.Pointer[chan struct{}]
	watch [watchGroups]atomic.Pointer[chan struct{}]
	// watchers is how many watchers are live, dealt deals them into groups
	// (see watching).
	watchers atomic.Int64
	dealt    atomic.Uint32
	// commits counts notify's calls; the fan-out compares it with the count
	// at each kind's last wake-up to know which are owed one. sleeping is
	// set while the fan-out waits for a commit with nothing owed: only then
	// does notify ring the doorbell.
	commits  atomic.Uint64
	sleeping atomic.Bool
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

// waitWatch is wait for a watcher of group g (see watching).
func (s *revisionSignal) waitWatch(g int) <-chan struct{} { return s.waitOn(&s.watch[g]) }

// watching counts a watcher in until done is called, and deals it its
// group: the watchers' cadence follows their number, and the groups take
// turns.
func (s *revisionSignal) watching() (group int, done func()) {
	s.watchers.Add(1)
	return int(s.dealt.Add(1) % watchGroups), func() { s.watchers.Add(-1) }
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
// writeMu, once per commit, and never blocks. Under a stream of commits it
// is one atomic add: the fan-out goroutine is then on its timer and sees
// the count, so that the writer readies no goroutine on its processor
// (one it readied would run there, and ready the watchers there, as soon
// as the writer was preempted, ahead of the writer). It rings the doorbell
// only when the fan-out sleeps.
func (s *revisionSignal) notify() {
	s.commits.Add(1)
	if s.sleeping.Load() {
		if bell := s.doorbell.Load(); bell != nil {
			select {
			case *bell <- struct{}{}:
			default: // already rung
			}
		}
	}
}

// fanOutPoll is how long the fan-out waits at most, while some kind of
// waiter is owed a wake-up, before it looks again whether a commit has
// made another kind owed one: that kind's wake-up comes at most this late.
const fanOutPoll = 250 * time.Microsecond

// fanOut wakes WaitRevision's waiters and each group of watchers once
// after each commit, each at most once per its interval, and the groups at
// least watchStep apart. A kind is owed a wake-up when commits has moved
// since its last one (read before it woke them, so that a commit during a
// wake-up is owed the next). A group without waiters takes no turn, so
// that after a quiet spell one watcher, or a first group, wakes at once.
// With nothing owed the fan-out sleeps until notify rings.
func (s *revisionSignal) fanOut(bell <-chan struct{}, stop <-chan struct{}) {
	var lastAll, lastStep time.Time
	var lastGroup [watchGroups]time.Time
	var seenAll uint64
	var seenGroup [watchGroups]uint64
	turn := 0
	pause := time.NewTimer(time.Hour)
	defer pause.Stop()
	for {
		seen := s.commits.Load()
		owedAll := seen != seenAll
		owedGroups := uint(0)
		for g := range watchGroups {
			if seen != seenGroup[g] {
				owedGroups |= 1 << g
			}
		}
		if !owedAll && owedGroups == 0 {
			// sleeping before the second look at commits, as notify adds
			// to commits before it looks at sleeping: one of the two sees
			// the other.
			s.sleeping.Store(true)
			if s.commits.Load() == seen {
				select {
				case <-stop:
					return
				case <-bell:
				}
			}
			s.sleeping.Store(false)
			continue
		}
		now := time.Now()
		interval := watchInterval(s.watchers.Load())
		step := watchStep(interval)
		due := time.Duration(math.MaxInt64)
		// wait is how long until kind k may be woken, given when it may
		// be at the earliest; a kind not owed is looked at again by then,
		// or after fanOutPoll.
		wait := func(earliest time.Time, owed bool) {
			d := earliest.Sub(now)
			if !owed {
				d = max(d, fanOutPoll)
			}
			due = min(due, d)
		}
		wait(lastAll.Add(wakeInterval), owedAll)
		for g := range watchGroups {
			wait(maxTime(lastStep.Add(step), lastGroup[g].Add(interval)), owedGroups&(1<<g) != 0)
		}
		if due > 0 {
			pause.Reset(due)
			select {
			case <-stop:
				return
			case <-pause.C:
			}
			continue // look again at what is owed
		}
		if owedAll && !now.Before(lastAll.Add(wakeInterval)) {
			lastAll, seenAll = now, seen
			wake(&s.next)
		}
		if now.Before(lastStep.Add(step)) {
			continue
		}
		// Wake the first owed group, from turn on, whose interval has
		// passed; one without waiters is settled and takes no turn.
		for i := range watchGroups {
			g := (turn + i) % watchGroups
			if owedGroups&(1<<g) == 0 || now.Before(lastGroup[g].Add(interval)) {
				continue
			}
			seenGroup[g] = seen
			if wake(&s.watch[g]) {
				lastGroup[g], lastStep, turn = now, now, g+1
				break
			}
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// wakeAll wakes every waiter now (Close).
func (s *revisionSignal) wakeAll() {
	wake(&s.next)
	s.wakeWatchers()
}

// wakeWatchers wakes every watcher now: one's ctx has ended.
func (s *revisionSignal) wakeWatchers() {
	for g := range s.watch {
		wake(&s.watch[g])
	}
}

// wake closes the channel next holds, if any, and reports whether it did:
// whether anyone may have been waiting.
func wake(next *atomic.Pointer[chan struct{}]) bool {
	ch := next.Swap(nil)
	if ch != nil {
		close(*ch)
	}
	return ch != nil
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
