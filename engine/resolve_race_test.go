package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// TestResolveWhileWriting runs readers against writers that change grants and
// memberships. Each writer commit keeps an invariant that a reader sees only
// if it reads one revision whole: alice reaches doc1 through both dept a and
// dept b (one AddMembers commit) or through neither (one RemoveMembers
// commit), so Resolve lists 0 or 2 paths, never 1.
func TestResolveWhileWriting(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	mustCreate(t, e, testOrg, grantOn("doc1", model.Department("a"), model.LevelWrite))
	mustCreate(t, e, testOrg, grantOn("doc1", model.Department("b"), model.LevelWrite))
	pair := []model.Membership{
		membership(model.User("alice"), model.Department("a")),
		membership(model.User("alice"), model.Department("b")),
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // toggles alice's pair of memberships
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if i%2 == 0 {
				assert.NoError(t, e.AddMembers(ctx, testOrg, pair...))
			} else {
				assert.NoError(t, e.RemoveMembers(ctx, testOrg, pair...))
			}
		}
	}()
	wg.Add(1)
	go func() { // churns other grants and nested memberships
		defer wg.Done()
		for i := 0; i < 200; i++ {
			g, err := e.CreateGrant(ctx, testOrg, grantOn(fmt.Sprintf("doc%d", i%7), model.Department("c"), model.LevelRead))
			if err == nil {
				assert.NoError(t, e.RevokeGrant(ctx, testOrg, g.ID))
			}
			m := membership(model.Department("c"), model.Department(fmt.Sprintf("p%d", i%3)))
			if i%2 == 0 {
				assert.NoError(t, e.AddMembers(ctx, testOrg, m, membership(model.User("bob"), model.Department("c"))))
			} else {
				assert.NoError(t, e.RemoveMembers(ctx, testOrg, m))
			}
		}
	}()
	var readers sync.WaitGroup
	for r := 0; r < 3; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				d, err := e.Resolve(ctx, testOrg, "alice", doc("doc1"))
				assert.NoError(t, err)
				assert.Contains(t, []int{0, 2}, len(d.Via), "a reader saw half a commit")
				_, err = e.Check(ctx, testOrg, "alice", doc("doc1"), model.LevelWrite)
				assert.NoError(t, err) // either answer is right at some revision
				users, err := e.UsersWithAccess(ctx, testOrg, doc("doc1"), model.LevelRead)
				assert.NoError(t, err)
				for _, u := range users {
					if u.User == "alice" {
						assert.Len(t, u.Via, 2, "a reader saw half a commit")
					}
				}
				access, err := e.ResolvedAccess(ctx, testOrg, "bob", resolve.Query{})
				assert.NoError(t, err)
				assert.LessOrEqual(t, len(access), 7)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
}
