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
// A watcher never blocks a writer, however slowly it consumes: it reads
// the retained window on its own goroutine, a page at a time, and a writer
// only rings one doorbell per commit. Under a stream of commits, watchers
// wake at most every few milliseconds and read every commit since in one
// go; the Change values are made once and shared by every watcher (treat
// their slices as read-only). After ErrCompacted, take Revision, read the
// state afresh and watch again after that revision.
func (e *Engine) Watch(ctx context.Context, org string, after uint64) iter.Seq2[model.Change, error] {
	return func(yield func(model.Change, error) bool) {
		pos := after
		var batch []pickedCommit // reused: a wake-up allocates nothing
		for {
			// Taken before the read, so that a commit published during
			// the read still wakes the wait below.
			woken := e.published.wait()
			var through uint64
			var err error
			batch, through, err = e.pickChanges(ctx, org, pos, model.MaxPageSize, batch)
			if err != nil {
				yield(model.Change{}, err)
				return
			}
			for i := range batch {
				if !yield(feedChange(&batch[i]), nil) {
					return
				}
			}
			pos = through
			if len(batch) == model.MaxPageSize {
				continue // more may be retained already
			}
			select {
			case <-ctx.Done():
				yield(model.Change{}, ctx.Err())
				return
			case <-woken:
			}
		}
	}
}
