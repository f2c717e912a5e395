package engine

import (
	"context"
	"sync"
)

// Revision returns the revision readers see: the last commit published.
// It is 0 for an engine that has committed nothing, and keeps its value
// after Close. A caller hands it to another process as a consistency
// token: a read there after WaitRevision(rev) sees every write up to it.
func (e *Engine) Revision() uint64 { return e.current.Load().snap.Revision() }

// WaitRevision returns nil once the engine has published revision rev: at
// once when it has. Otherwise it blocks until it does, ctx ends (its
// error) or the engine closes (ErrClosed). It never slows a writer:
// writers only wake the waiters, once per commit.
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

// revisionSignal wakes every goroutine waiting for the next revision (or
// for Close). A waiter takes the channel of the next broadcast; a writer
// closes it. No channel is made while nobody waits, so a commit without
// waiters costs a lock and a nil check.
type revisionSignal struct {
	mu   sync.Mutex
	next chan struct{}
}

// wait returns a channel closed at the next broadcast.
func (s *revisionSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = make(chan struct{})
	}
	return s.next
}

// broadcast wakes every waiter.
func (s *revisionSignal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next != nil {
		close(s.next)
		s.next = nil
	}
}
