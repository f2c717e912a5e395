package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func TestCreateGrantReturnsTheStoredGrant(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	from := t0.Add(-time.Hour)
	to := t0.Add(24 * time.Hour)
	in := model.GrantInput{
		Entity:        doc("d1"),
		Grantee:       model.Department("eng"),
		Level:         model.LevelWrite,
		GrantedBy:     "usr_admin",
		EffectiveFrom: from,
		EffectiveTo:   to,
	}
	g, err := e.CreateGrant(ctx, testOrg, in)
	require.NoError(t, err)

	assert.True(t, strings.HasPrefix(g.ID, engine.GrantIDPrefix), "id %q", g.ID)
	assert.Greater(t, len(g.ID), len(engine.GrantIDPrefix))
	assert.Equal(t, testOrg, g.Org)
	assert.Equal(t, in.Entity, g.Entity)
	assert.Equal(t, in.Grantee, g.Grantee)
	assert.Equal(t, in.Level, g.Level)
	assert.Equal(t, in.GrantedBy, g.GrantedBy)
	for name, ts := range map[string]time.Time{
		"EffectiveFrom": g.EffectiveFrom, "EffectiveTo": g.EffectiveTo,
		"CreatedAt": g.CreatedAt, "UpdatedAt": g.UpdatedAt,
	} {
		assert.Equal(t, time.UTC, ts.Location(), "%s is not UTC", name)
	}
	assert.True(t, g.EffectiveFrom.Equal(from))
	assert.True(t, g.EffectiveTo.Equal(to))
	assert.True(t, g.CreatedAt.Equal(t0), "CreatedAt %v, clock %v", g.CreatedAt, t0)
	assert.Equal(t, g.CreatedAt, g.UpdatedAt)

	got, err := e.GetGrant(ctx, testOrg, g.ID)
	require.NoError(t, err)
	assert.Equal(t, g, got)
}

func TestCreateGrantWithoutWindowKeepsZeroBounds(t *testing.T) {
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	assert.True(t, g.EffectiveFrom.IsZero())
	assert.True(t, g.EffectiveTo.IsZero())
}

func TestCreateGrantDuplicate(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	first := mustCreate(t, e, testOrg, grantInput("d1", "alice"))

	// Same (entity, grantee) with another level and grantor is still a duplicate.
	in := grantInput("d1", "alice")
	in.Level, in.GrantedBy = model.LevelAdmin, "usr_other"
	_, err := e.CreateGrant(ctx, testOrg, in)
	me := requireModelError(t, err, model.ErrDuplicate, model.FieldGranteeID)
	assert.Contains(t, me.Message, first.ID)

	// The stored grant is untouched.
	assert.Equal(t, []model.Grant{first}, listAll(t, e, testOrg, model.GrantQuery{}))

	// Neither another grantee, another entity, nor another organisation is a duplicate.
	mustCreate(t, e, testOrg, grantInput("d1", "bob"))
	mustCreate(t, e, testOrg, grantInput("d2", "alice"))
	mustCreate(t, e, otherOrg, grantInput("d1", "alice"))
	role := grantInput("d1", "alice")
	role.Grantee = model.Role("alice")
	mustCreate(t, e, testOrg, role)
}

func TestCreateGrantDuplicateOfEndedGrantGetsNewID(t *testing.T) {
	ctx := context.Background()
	e, clock := newTestEngine(t)
	in := grantInput("d1", "alice")
	in.EffectiveTo = t0.Add(time.Hour)
	old := mustCreate(t, e, testOrg, in)

	_, err := e.CreateGrant(ctx, testOrg, grantInput("d1", "alice"))
	requireModelError(t, err, model.ErrDuplicate, model.FieldGranteeID)

	clock.Advance(time.Hour) // the window is [from, to): it has ended now
	renewed, err := e.CreateGrant(ctx, testOrg, grantInput("d1", "alice"))
	require.NoError(t, err)
	assert.NotEqual(t, old.ID, renewed.ID)
	assert.Greater(t, renewed.ID, old.ID)
	assert.True(t, renewed.EffectiveTo.IsZero())

	_, err = e.GetGrant(ctx, testOrg, old.ID)
	requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
	assert.Equal(t, []model.Grant{renewed}, listAll(t, e, testOrg, model.GrantQuery{}))
}

func TestCreateGrantNotYetStarted(t *testing.T) {
	ctx := context.Background()
	e, clock := newTestEngine(t)
	in := grantInput("d1", "alice")
	in.EffectiveFrom = t0.Add(time.Hour)
	g := mustCreate(t, e, testOrg, in)

	// Listed, readable and a duplicate before it starts ...
	assert.Equal(t, []model.Grant{g}, listAll(t, e, testOrg, model.GrantQuery{}))
	got, err := e.GetGrant(ctx, testOrg, g.ID)
	require.NoError(t, err)
	assert.Equal(t, g, got)
	_, err = e.CreateGrant(ctx, testOrg, grantInput("d1", "alice"))
	requireModelError(t, err, model.ErrDuplicate, model.FieldGranteeID)

	// ... but it gives access only once it has started.
	ok, err := e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
	clock.Advance(time.Hour)
	ok, err = e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestCreateGrantBadInput(t *testing.T) {
	long := strings.Repeat("x", model.MaxIDLen+1)
	valid := grantInput("d1", "alice")
	with := func(change func(*model.GrantInput)) model.GrantInput {
		in := valid
		change(&in)
		return in
	}
	cases := []struct {
		name    string
		org     string
		in      model.GrantInput
		field   string
		message string // when set, the exact message
	}{
		{name: "empty org", org: "", in: valid, field: model.FieldOrg},
		{name: "over-long org", org: long, in: valid, field: model.FieldOrg},
		{name: "invalid UTF-8 org", org: "org\xff", in: valid, field: model.FieldOrg},
		{name: "control char in org", org: "org\n1", in: valid, field: model.FieldOrg},
		{name: "empty entity type", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.Type = "" }), field: model.FieldEntityType},
		{name: "unknown entity type", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.Type = "vector_store" }),
			field: model.FieldEntityType, message: "entity_type must be one of {'document', 'folder'}"},
		{name: "empty entity id", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.ID = "" }), field: model.FieldEntityID},
		{name: "over-long entity id", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.ID = long }), field: model.FieldEntityID},
		{name: "invalid UTF-8 entity id", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.ID = "d\xc3\x28" }), field: model.FieldEntityID},
		{name: "NUL in entity id", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.ID = "d\x001" }), field: model.FieldEntityID},
		{name: "C1 control in entity id", org: testOrg, in: with(func(in *model.GrantInput) { in.Entity.ID = "d\u00851" }), field: model.FieldEntityID},
		{name: "unknown grantee type", org: testOrg, in: with(func(in *model.GrantInput) { in.Grantee.Type = "group" }), field: model.FieldGranteeType},
		{name: "empty grantee id", org: testOrg, in: with(func(in *model.GrantInput) { in.Grantee.ID = "" }), field: model.FieldGranteeID},
		{name: "over-long grantee id", org: testOrg, in: with(func(in *model.GrantInput) { in.Grantee.ID = long }), field: model.FieldGranteeID},
		{name: "invalid UTF-8 grantee id", org: testOrg, in: with(func(in *model.GrantInput) { in.Grantee.ID = "\xff" }), field: model.FieldGranteeID},
		{name: "tab in grantee id", org: testOrg, in: with(func(in *model.GrantInput) { in.Grantee.ID = "a\tb" }), field: model.FieldGranteeID},
		{name: "over-long granted_by", org: testOrg, in: with(func(in *model.GrantInput) { in.GrantedBy = long }), field: model.FieldGrantedBy},
		{name: "level none", org: testOrg, in: with(func(in *model.GrantInput) { in.Level = model.LevelNone }), field: model.FieldAccessLevel},
		{name: "level 4", org: testOrg, in: with(func(in *model.GrantInput) { in.Level = 4 }), field: model.FieldAccessLevel},
		{name: "reversed window", org: testOrg, in: with(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = t0.Add(2*time.Hour), t0.Add(time.Hour)
		}), field: model.FieldEffectiveTo},
		{name: "empty window", org: testOrg, in: with(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = t0.Add(time.Hour), t0.Add(time.Hour)
		}), field: model.FieldEffectiveTo},
		{name: "window already ended", org: testOrg, in: with(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = t0.Add(-2*time.Hour), t0.Add(-time.Hour)
		}), field: model.FieldEffectiveTo},
		{name: "window ending now", org: testOrg, in: with(func(in *model.GrantInput) { in.EffectiveTo = t0 }), field: model.FieldEffectiveTo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t, engine.WithEntityTypes("document", "folder"))
			before := mustCreate(t, e, testOrg, grantInput("d0", "zoe"))

			g, err := e.CreateGrant(context.Background(), tc.org, tc.in)
			me := requireModelError(t, err, model.ErrValidation, tc.field)
			if tc.message != "" {
				assert.Equal(t, tc.message, me.Message)
			}
			assert.Zero(t, g)
			assert.Equal(t, []model.Grant{before}, listAll(t, e, testOrg, model.GrantQuery{}), "the store changed")
		})
	}
}

func TestCreateGrantIDBoundaries(t *testing.T) {
	e, _ := newTestEngine(t)
	longest := strings.Repeat("é", model.MaxIDLen/2) // 256 bytes
	in := model.GrantInput{
		Entity:  model.EntityRef{Type: "t" + strings.Repeat("_", 63), ID: longest},
		Grantee: model.User(longest),
		Level:   model.LevelAdmin,
	}
	g := mustCreate(t, e, longest, in)
	assert.Equal(t, longest, g.Org)
	assert.Equal(t, in.Entity, g.Entity)

	// Without WithEntityTypes a type must match ^[a-z][a-z0-9_]{0,63}$.
	for _, typ := range []string{"Document", "1doc", "_doc", "doc-x", "t" + strings.Repeat("_", 64)} {
		in := grantInput("d1", "alice")
		in.Entity.Type = typ
		_, err := e.CreateGrant(context.Background(), testOrg, in)
		requireModelError(t, err, model.ErrValidation, model.FieldEntityType)
	}
}

func TestGrantIDsSortByCreation(t *testing.T) {
	e, clock := newTestEngine(t)
	var ids []string
	create := func(n int) {
		for range n {
			g := mustCreate(t, e, testOrg, grantInput("d1", fmt.Sprintf("u%03d", len(ids))))
			ids = append(ids, g.ID)
		}
	}
	create(50) // a clock standing still
	clock.Advance(time.Millisecond)
	create(5)
	clock.Set(t0.Add(-time.Hour)) // a clock going back
	create(20)
	clock.Set(t0.Add(time.Hour))
	create(5)
	for i := 1; i < len(ids); i++ {
		assert.Less(t, ids[i-1], ids[i], "id %d does not sort after id %d", i, i-1)
	}
}

func TestGrantIDsAreNeverReused(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	seen := map[string]bool{}
	for range 20 {
		g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
		assert.False(t, seen[g.ID], "id %s reused", g.ID)
		seen[g.ID] = true
		require.NoError(t, e.RevokeGrant(ctx, testOrg, g.ID))
	}
}

// A grant id that is not there, for each reason the contract names.
func TestGrantNotFound(t *testing.T) {
	ctx := context.Background()
	e, clock := newTestEngine(t)

	revoked := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	require.NoError(t, e.RevokeGrant(ctx, testOrg, revoked.ID))

	expiring := grantInput("d2", "alice")
	expiring.EffectiveTo = t0.Add(time.Minute)
	expired := mustCreate(t, e, testOrg, expiring)

	foreign := mustCreate(t, e, otherOrg, grantInput("d3", "alice"))
	clock.Advance(time.Minute)

	ids := map[string]string{
		"never was":            engine.GrantIDPrefix + "00000000000000000000",
		"empty":                "",
		"garbage":              "not an id \xff",
		"revoked":              revoked.ID,
		"expired":              expired.ID,
		"another organisation": foreign.ID,
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			_, err := e.GetGrant(ctx, testOrg, id)
			requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
			_, err = e.UpdateGrant(ctx, testOrg, id, model.LevelAdmin)
			requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
			err = e.RevokeGrant(ctx, testOrg, id)
			requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
		})
	}

	// The other organisation's grant is untouched by all that.
	got, err := e.GetGrant(ctx, otherOrg, foreign.ID)
	require.NoError(t, err)
	assert.Equal(t, foreign, got)
}

func TestUpdateGrant(t *testing.T) {
	ctx := context.Background()
	e, clock := newTestEngine(t)
	in := grantInput("d1", "alice")
	in.EffectiveFrom, in.EffectiveTo = t0.Add(-time.Hour), t0.Add(time.Hour)
	g := mustCreate(t, e, testOrg, in)

	clock.Advance(time.Minute)
	updated, err := e.UpdateGrant(ctx, testOrg, g.ID, model.LevelAdmin)
	require.NoError(t, err)

	want := g
	want.Level = model.LevelAdmin
	want.UpdatedAt = t0.Add(time.Minute).UTC()
	assert.Equal(t, want, updated)
	assert.Equal(t, time.UTC, updated.UpdatedAt.Location())

	got, err := e.GetGrant(ctx, testOrg, g.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, []model.Grant{want}, listAll(t, e, testOrg, model.GrantQuery{}))

	ok, err := e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelAdmin)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestUpdateGrantBadInput(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))

	for _, level := range []model.Level{model.LevelNone, 4, 255} {
		_, err := e.UpdateGrant(ctx, testOrg, g.ID, level)
		requireModelError(t, err, model.ErrValidation, model.FieldAccessLevel)
	}
	_, err := e.UpdateGrant(ctx, "", g.ID, model.LevelWrite)
	requireModelError(t, err, model.ErrValidation, model.FieldOrg)

	got, err := e.GetGrant(ctx, testOrg, g.ID)
	require.NoError(t, err)
	assert.Equal(t, g, got)
}

func TestGetAndRevokeBadOrg(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	for _, org := range []string{"", "\xff", "a\x7fb", strings.Repeat("o", model.MaxIDLen+1)} {
		_, err := e.GetGrant(ctx, org, g.ID)
		requireModelError(t, err, model.ErrValidation, model.FieldOrg)
		requireModelError(t, e.RevokeGrant(ctx, org, g.ID), model.ErrValidation, model.FieldOrg)
	}
	_, err := e.GetGrant(ctx, testOrg, g.ID)
	require.NoError(t, err)
}

func TestRevokeGrant(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	kept := mustCreate(t, e, testOrg, grantInput("d1", "bob"))

	require.NoError(t, e.RevokeGrant(ctx, testOrg, g.ID))
	_, err := e.GetGrant(ctx, testOrg, g.ID)
	requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
	assert.Equal(t, []model.Grant{kept}, listAll(t, e, testOrg, model.GrantQuery{}))
	ok, err := e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)

	// A second revoke finds nothing.
	requireModelError(t, e.RevokeGrant(ctx, testOrg, g.ID), model.ErrNotFound, model.FieldGrantID)
}

func TestReturnedGrantsAreCopies(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	want := g

	scribble := func(g *model.Grant) {
		g.ID, g.Org = "agrant_x", "org_x"
		g.Entity.ID, g.Grantee.ID = "changed", "mallory"
		g.Level = model.LevelAdmin
		g.CreatedAt = g.CreatedAt.Add(time.Hour)
	}
	scribble(&g)
	got, err := e.GetGrant(ctx, testOrg, want.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	scribble(&got)
	updated, err := e.UpdateGrant(ctx, testOrg, want.ID, model.LevelWrite)
	require.NoError(t, err)
	scribble(&updated)

	page, err := e.ListGrants(ctx, testOrg, model.GrantQuery{})
	require.NoError(t, err)
	require.Len(t, page.Grants, 1)
	scribble(&page.Grants[0])

	want.Level = model.LevelWrite
	got, err = e.GetGrant(ctx, testOrg, want.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, []model.Grant{want}, listAll(t, e, testOrg, model.GrantQuery{}))
}

func TestGrantsAreScopedByOrganisation(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	a := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	b := mustCreate(t, e, otherOrg, grantInput("d1", "alice"))
	assert.NotEqual(t, a.ID, b.ID)

	assert.Equal(t, []model.Grant{a}, listAll(t, e, testOrg, model.GrantQuery{}))
	assert.Equal(t, []model.Grant{b}, listAll(t, e, otherOrg, model.GrantQuery{}))
	assert.Empty(t, listAll(t, e, "org_third", model.GrantQuery{}))

	// An organisation whose id is a prefix of another's sees nothing of it.
	assert.Empty(t, listAll(t, e, "org", model.GrantQuery{}))
	assert.Empty(t, listAll(t, e, testOrg[:len(testOrg)-1], model.GrantQuery{}))

	// Revoking in one organisation leaves the other's grant.
	require.NoError(t, e.RevokeGrant(ctx, otherOrg, b.ID))
	got, err := e.GetGrant(ctx, testOrg, a.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	ok, err := e.Check(ctx, otherOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.True(t, ok)
}

// Writers racing on one (entity, grantee): exactly one wins, the others see
// a duplicate; racing on distinct keys, all win with distinct ids.
func TestCreateGrantConcurrently(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	ids := make([]string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[w] = e.CreateGrant(ctx, testOrg, grantInput("shared", "alice"))
			g, err := e.CreateGrant(ctx, testOrg, grantInput(fmt.Sprint("own", w), "alice"))
			errs[w] = errors.Join(errs[w], err)
			ids[w] = g.ID
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			assert.ErrorIs(t, err, model.ErrDuplicate)
		}
	}
	assert.Equal(t, 1, wins)
	seen := map[string]bool{}
	for _, id := range ids {
		assert.NotEmpty(t, id)
		assert.False(t, seen[id], "id %s given twice", id)
		seen[id] = true
	}
	assert.Len(t, listAll(t, e, testOrg, model.GrantQuery{}), writers+1)
}
