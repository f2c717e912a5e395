// Under -race AllocsPerRun would count the detector's allocations: this
// guard runs in the ordinary (non-race) test run only.

//go:build !race

package engine_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// TestWatchAllocatesNothingPerChange guards a watcher's iteration: once a
// commit's Change is made (by its first reader), a watcher yields it
// without allocating, so a hundred watchers cost no garbage per commit.
// What a Watch allocates at all is a handful of values for its start and
// its wake-ups, whatever the number of commits it reads.
func TestWatchAllocatesNothingPerChange(t *testing.T) {
	e, _ := newTestEngine(t)
	const commits = 2000 // two pages of MaxPageSize
	for i := range commits {
		mustCreate(t, e, testOrg, grantInput("d"+strconv.Itoa(i), "u1"))
	}
	require.Len(t, changesAfter(t, e, testOrg, 0), commits) // makes the shared Changes

	var last model.Change
	allocs := testing.AllocsPerRun(5, func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		for ch, err := range e.Watch(ctx, testOrg, 0) {
			if err != nil {
				break
			}
			last = ch
			if n++; n == commits {
				cancel()
			}
		}
	})
	assert.Equal(t, uint64(commits), last.Revision)
	assert.Less(t, allocs, 20.0, "allocations of a Watch that reads %d commits", commits)
}
