package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// A copy made by Snapshot never draws an id its source drew, not even the id
// of a grant revoked before the copy, when the copy's clock is behind.
func TestSnapshotCopyKeepsTheIDHighWater(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable %v", durable), func(t *testing.T) {
			ctx := context.Background()
			clock := newFakeClock(t0)
			var e *engine.Engine
			if durable {
				e = openDurable(t, t.TempDir(), clock)
			} else {
				e, _ = newTestEngine(t, engine.WithClock(clock.Now))
			}
			var ids []string
			for i := range 3 {
				clock.Advance(time.Second)
				ids = append(ids, mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%d", i), "alice")).ID)
			}
			job := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "document", Grantees: []model.Subject{model.User("nobody")}})
			newest := ids[len(ids)-1]
			require.NoError(t, e.RevokeGrant(ctx, testOrg, newest))

			path := filepath.Join(t.TempDir(), "copy")
			require.NoError(t, e.Snapshot(ctx, path))

			// Before every id above: ids are time-based, so only the
			// high-water keeps the copy from drawing them again.
			back := newFakeClock(t0.Add(-time.Hour))
			c := openDurable(t, path, back)
			_, err := c.GetGrant(ctx, testOrg, newest)
			requireModelError(t, err, model.ErrNotFound, "id")
			g := mustCreate(t, c, testOrg, grantInput("fresh", "bob"))
			assert.Greater(t, g.ID, newest, "an id after the revoked grant's")
			again := runJobToEnd(t, c, testOrg, bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "document", Grantees: []model.Subject{model.User("nobody")}})
			assert.Greater(t, again.ID, job.ID, "a job id after the source's")

			// The copy's own reopen keeps it too.
			require.NoError(t, c.Close())
			c = openDurable(t, path, back)
			g2 := mustCreate(t, c, testOrg, grantInput("fresh2", "bob"))
			assert.Greater(t, g2.ID, g.ID)
		})
	}
}
