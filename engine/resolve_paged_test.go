package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagedOrg fills an engine with a random organisation: users in nested
// departments and roles, grants of every level to users and groups, some
// of them expired or not yet in effect, folders holding entities, denies,
// and a second organisation that must never show.
func pagedOrg(t *testing.T, seed uint64) (*engine.Engine, time.Time) {
	t.Helper()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := now
	db, err := engine.Open(engine.WithEntityTypes("doc", "folder"), engine.WithClock(func() time.Time { return clock }))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 11))
	subject := func() model.Subject {
		switch rng.IntN(4) {
		case 0:
			return model.Department(fmt.Sprintf("d%d", rng.IntN(8)))
		case 1:
			return model.Role(fmt.Sprintf("r%d", rng.IntN(8)))
		}
		return model.User(fmt.Sprintf("u%02d", rng.IntN(40)))
	}
	for range 80 {
		m := model.Membership{Member: subject(), Group: subject()}
		if m.Group.Type == model.SubjectUser || m.Member.Type != model.SubjectUser && m.Member.Type != m.Group.Type {
			continue
		}
		_ = db.AddMembers(ctx, "org_a", m) // a cycle is refused: skip it
	}
	for i := range 600 {
		in := model.GrantInput{
			Entity:  model.EntityRef{Type: []string{"doc", "folder"}[rng.IntN(2)], ID: fmt.Sprintf("e%03d", rng.IntN(150))},
			Grantee: subject(), Level: model.Level(1 + rng.IntN(3)),
		}
		switch i % 10 {
		case 0:
			in.EffectiveTo = now.Add(time.Hour) // expired once the clock moves
		case 1:
			in.EffectiveFrom = now.Add(48 * time.Hour) // not yet
		}
		org := "org_a"
		if i%7 == 0 {
			org = "org_b"
		}
		_, _ = db.CreateGrant(ctx, org, in) // duplicates are refused: skip them
	}
	// Folders hold documents (some in two folders, some folders in
	// folders), and a share of the grants are denies, so that the pages
	// must list inherited access and honour denies as the complete calls do.
	for range 60 {
		l := model.EntityLink{
			Child:  model.EntityRef{Type: []string{"doc", "folder"}[rng.IntN(2)], ID: fmt.Sprintf("e%03d", rng.IntN(150))},
			Parent: model.EntityRef{Type: "folder", ID: fmt.Sprintf("e%03d", rng.IntN(150))},
		}
		_ = db.LinkEntities(ctx, "org_a", l) // a cycle or a self-link is refused: skip it
	}
	for range 60 {
		in := model.GrantInput{
			Entity:  model.EntityRef{Type: []string{"doc", "folder"}[rng.IntN(2)], ID: fmt.Sprintf("e%03d", rng.IntN(150))},
			Grantee: subject(), Level: model.Level(1 + rng.IntN(3)), Effect: model.EffectDeny,
		}
		_, _ = db.CreateGrant(ctx, "org_a", in)
	}
	clock = now.Add(2 * time.Hour)
	return db, clock
}

func TestPagedListingsAreTheCompleteListsInPages(t *testing.T) {
	ctx := context.Background()
	var longest, longestUsers, inherited int
	for seed := range uint64(4) {
		db, _ := pagedOrg(t, seed)
		for _, limit := range []int{1, 7, 100} {
			for _, min := range []model.Level{model.LevelNone, model.LevelWrite, model.LevelAdmin} {
				for _, typ := range []string{"", "folder"} {
					for u := range 40 {
						user := fmt.Sprintf("u%02d", u)
						q := resolve.Query{EntityType: typ, MinLevel: min}
						want, err := db.ResolvedAccess(ctx, "org_a", user, q)
						require.NoError(t, err)
						got := []resolve.Decision{}
						after := model.EntityRef{}
						for range 200 {
							page, more, err := db.ResolvedAccessPage(ctx, "org_a", user, q, after, limit)
							require.NoError(t, err)
							assert.LessOrEqual(t, len(page), limit)
							got = append(got, page...)
							if !more {
								break
							}
							require.NotEmpty(t, page, "more follows a full page")
							after = page[len(page)-1].Entity
						}
						assert.Equal(t, want, got, "seed %d user %s limit %d min %v type %q", seed, user, limit, min, typ)
						longest = max(longest, len(want))
					}
				}
				for e := range 150 {
					ent := model.EntityRef{Type: "doc", ID: fmt.Sprintf("e%03d", e)}
					want, err := db.UsersWithAccess(ctx, "org_a", ent, min)
					inherited += countInherited(want)
					require.NoError(t, err)
					got := []resolve.UserAccess{}
					after := ""
					for range 200 {
						page, more, err := db.UsersWithAccessPage(ctx, "org_a", ent, min, after, limit)
						require.NoError(t, err)
						got = append(got, page...)
						if !more {
							break
						}
						after = page[len(page)-1].User
					}
					assert.Equal(t, want, got, "seed %d entity %s limit %d min %v", seed, ent.ID, limit, min)
					longestUsers = max(longestUsers, len(want))
				}
			}
		}
	}
	assert.Greater(t, longest, 7, "some user's listing spans several pages")
	assert.NotZero(t, inherited, "some access is inherited from a parent")
	assert.Greater(t, longestUsers, 7, "some entity's listing spans several pages")
}

func TestPagedListingsRefuseBadArguments(t *testing.T) {
	ctx := context.Background()
	db, _ := pagedOrg(t, 1)
	ent := model.EntityRef{Type: "doc", ID: "e001"}
	for _, limit := range []int{-1, model.MaxPageSize + 1} {
		_, _, err := db.ResolvedAccessPage(ctx, "org_a", "u01", resolve.Query{}, model.EntityRef{}, limit)
		assert.ErrorIs(t, err, model.ErrValidation)
		var me *model.Error
		require.ErrorAs(t, err, &me)
		assert.Equal(t, model.FieldLimit, me.Field)
		_, _, err = db.UsersWithAccessPage(ctx, "org_a", ent, model.LevelNone, "", limit)
		assert.ErrorIs(t, err, model.ErrValidation)
	}
	_, _, err := db.ResolvedAccessPage(ctx, "org_a", "", resolve.Query{}, model.EntityRef{}, 0)
	assert.ErrorIs(t, err, model.ErrValidation)
	_, _, err = db.ResolvedAccessPage(ctx, "org_a", "u01", resolve.Query{EntityType: "nope"}, model.EntityRef{}, 0)
	assert.ErrorIs(t, err, model.ErrValidation)
	_, _, err = db.UsersWithAccessPage(ctx, "org_a", model.EntityRef{Type: "nope", ID: "x"}, model.LevelNone, "", 0)
	assert.ErrorIs(t, err, model.ErrValidation)
	page, more, err := db.ResolvedAccessPage(ctx, "org_a", "nobody", resolve.Query{}, model.EntityRef{}, 0)
	require.NoError(t, err)
	assert.Empty(t, page)
	assert.NotNil(t, page, "an empty page, not nil")
	assert.False(t, more)
	require.NoError(t, db.Close())
	_, _, err = db.UsersWithAccessPage(ctx, "org_a", ent, model.LevelNone, "", 0)
	assert.ErrorIs(t, err, model.ErrClosed)
}

// countInherited counts the paths that reach their entity through a parent.
func countInherited(list []resolve.UserAccess) int {
	n := 0
	for _, ua := range list {
		for _, p := range ua.Via {
			if len(p.Entities) > 1 {
				n++
			}
		}
	}
	return n
}
