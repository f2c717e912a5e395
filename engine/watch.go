package engine

import (
	"context"
	"iter"

	"github.com/grantdb/grantdb/model"
)

// Watch yields org's commits after revision after, as Changes returns them,
// and then each new one as it is published, until ctx ends. The sequence
// ends with one error, unless the consumer stops first: ctx's error once it
// ends, ErrClosed when the engine closes, ErrCompacted when the watcher has
// fallen so far behind that a commit it has not seen has left the retained
// window (see WithChangeRetention), or the ErrValidation of a bad org.
//
// A watcher never blocks a writer, however slowly it consumes, and costs it
// nothing per commit: a writer only counts its commit (and rings one
// doorbell after a quiet spell), the watcher reads on its own goroutine, following the organisation's commits
// from one to the next without taking a lock the writer takes. Under a
// stream of commits, watchers wake at most every few milliseconds (the
// more watchers, the longer between wake-ups: 5 ms for a hundred, 10 ms at
// most), in groups that take turns so that they never all run at once (a
// commit reaches each within one and a half of that interval), and read
// every commit since in one go; the Change
// values are made once and shared by every watcher (treat their slices as
// read-only). After ErrCompacted, take Revision, read the state afresh and
// watch again after that revision.
func (e *Engine) Watch(ctx context.Context, org string, after uint64) iter.Seq2[model.Change, error] {
	return func(yield func(model.Change, error) bool) {
		if err := e.admit(ctx, org); err != nil {
			yield(model.Change{}, err)
			return
		}
		// The watcher waits on the wake-up channel alone, and ctx's end
		// rings it too: a lone receive on a closed channel takes no lock
		// as it wakes, where a select locks every channel it waits on,
		// twice, and a hundred watchers share both channels. Waking every
		// watcher when one ctx ends costs what one wake-up for a commit
		// does.
		group, done := e.published.watching()
		defer done()
		stopRinging := context.AfterFunc(ctx, e.published.wakeWatchers)
		defer stopRinging()
		cursor := windowCursor{org: org, after: after}
		for {
			// Taken before the read, so that a commit published during
			// the read still wakes the wait below.
			woken := e.published.waitWatch(group)
			if e.closed.Load() {
				yield(model.Change{}, closedError())
				return
			}
			if err := ctx.Err(); err != nil {
				yield(model.Change{}, err)
				return
			}
			published := e.Revision()
			n := 0
			for ; n < model.MaxPageSize; n++ {
				p := cursor.step(published)
				if p == nil {
					var ok bool
					if p, ok = e.changes.next(&cursor, published); !ok {
						yield(model.Change{}, compactedError(org, cursor.after))
						return
					}
					if p == nil {
						break
					}
				}
				if !yield(*p.feedChange(), nil) {
					return
				}
			}
			if n == model.MaxPageSize {
				continue // more may be published already: check ctx, read on
			}
			<-woken // then ctx and Close are checked above
		}
	}
}
