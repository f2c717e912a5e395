//go:build !race

package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// TestCheckWithDeniesAndLinksDoesNotAllocate guards the path Check and
// CheckSubject take once an organisation holds denies and links: it reads
// the entity's ancestors and their grants in place, allocating nothing.
// (Under -race the detector allocates on its own: see alloc_test.go.)
func TestCheckWithDeniesAndLinksDoesNotAllocate(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg,
		membership(model.User("ann"), model.Department("eng")),
		membership(model.Department("eng"), model.Department("rnd")),
	))
	var links []model.EntityLink
	for i := range 20 {
		links = append(links, linkOf(doc(fmt.Sprintf("d%d", i)), folder(fmt.Sprintf("sub%d", i%4))))
	}
	for i := range 4 {
		links = append(links, linkOf(folder(fmt.Sprintf("sub%d", i)), folder("root")))
	}
	require.NoError(t, e.LinkEntities(ctx, testOrg, links...))
	mustCreate(t, e, testOrg, allowOf(folder("root"), model.Department("rnd"), model.LevelWrite))
	mustCreate(t, e, testOrg, denyOf(folder("sub1"), model.Department("eng"), model.LevelWrite))
	mustCreate(t, e, testOrg, allowOf(doc("d3"), model.User("ann"), model.LevelAdmin))
	mustCreate(t, e, testOrg, denyOf(doc("d5"), model.User("ann"), model.LevelRead))

	entities := make([]model.EntityRef, 20)
	for n := range entities {
		entities[n] = doc(fmt.Sprintf("d%d", n))
	}
	levels := []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		_, err := e.Check(ctx, testOrg, "ann", entities[i%20], levels[i%3])
		if err != nil {
			t.Error(err)
		}
		_, err = e.CheckSubject(ctx, testOrg, model.Department("eng"), entities[i%20], levels[i%3])
		if err != nil {
			t.Error(err)
		}
		i++
	})
	assert.Zero(t, allocs, "allocations per Check and CheckSubject")

	// And the answers are the rules' (sub1 holds d1, d5, ...; d5 denies ann).
	for _, c := range []struct {
		entity model.EntityRef
		level  model.Level
		want   bool
	}{{doc("d0"), model.LevelWrite, true}, {doc("d1"), model.LevelWrite, false}, {doc("d1"), model.LevelRead, true},
		{doc("d3"), model.LevelAdmin, true}, {doc("d5"), model.LevelRead, false}} {
		ok, err := e.Check(ctx, testOrg, "ann", c.entity, c.level)
		require.NoError(t, err)
		assert.Equal(t, c.want, ok, "Check(ann, %s, %s)", c.entity, c.level)
	}
}
