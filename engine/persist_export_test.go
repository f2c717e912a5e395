package engine

import (
	"context"
	"time"

	"github.com/grantdb/grantdb/store"
)

// PublishedRevision is the revision readers of e see.
func PublishedRevision(e *Engine) uint64 { return e.current.Load().snap.Revision() }

// SweepNow runs one sweep of ended grants now and returns how many it
// removed.
func SweepNow(ctx context.Context, e *Engine) (int, error) { return e.sweepNow(ctx) }

// WithAppendFault makes a durable engine's journal fail: before each
// commit is journalled, fail is called with it; when it returns an error,
// the commit is written to disk first if written is true (a failure after
// the write, such as a failed fsync) and the error is returned in place of
// the journal's.
func WithAppendFault(fail func(cs store.ChangeSet) (written bool, err error)) Option {
	return func(c *config) {
		c.persist.dirHook = func(d durableDir) durableDir { return faultyDir{d, fail} }
	}
}

type faultyDir struct {
	durableDir
	fail func(cs store.ChangeSet) (bool, error)
}

func (f faultyDir) Append(cs store.ChangeSet, at time.Time) error {
	written, err := f.fail(cs)
	if err == nil {
		return f.durableDir.Append(cs, at)
	}
	if written {
		if werr := f.durableDir.Append(cs, at); werr != nil {
			return werr
		}
	}
	return err
}

// WaitCheckpoint waits for the checkpoint e runs in the background, if any,
// to finish: tests that count files need every checkpoint a commit started.
func WaitCheckpoint(e *Engine) { e.disk.ckptWG.Wait() }
