package engine_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// exampleClock is a fixed time, so that the examples' output is stable.
func exampleClock() time.Time { return time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) }

// openExample opens an in-memory engine for the examples.
func openExample() *engine.Engine {
	e, err := engine.Open(
		engine.WithEntityTypes("knowledge_slice", "vector_store", "assistant"),
		engine.WithClock(exampleClock),
	)
	if err != nil {
		panic(err)
	}
	return e
}

func ExampleOpen() {
	e, err := engine.Open(
		engine.WithEntityTypes("knowledge_slice", "vector_store"),
		engine.WithClock(exampleClock),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	_, err = e.CreateGrant(context.Background(), "org_acme", model.GrantInput{
		Entity:  model.EntityRef{Type: "fleet", ID: "f1"},
		Grantee: model.User("usr_alice"),
		Level:   model.LevelRead,
	})
	fmt.Println(err)
	// Output: entity_type must be one of {'knowledge_slice', 'vector_store'}
}

func ExampleEngine_CreateGrant() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	in := model.GrantInput{
		Entity:      model.EntityRef{Type: "knowledge_slice", ID: "ks_q3_reports"},
		Grantee:     model.Department("dept_finance"),
		Level:       model.LevelWrite,
		GrantedBy:   "usr_admin",
		EffectiveTo: exampleClock().Add(90 * 24 * time.Hour),
	}
	g, err := e.CreateGrant(ctx, "org_acme", in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.ID[:len(engine.GrantIDPrefix)], g.Entity, g.Grantee, g.Level)
	fmt.Println("created", g.CreatedAt.Format(time.RFC3339), "ends", g.EffectiveTo.Format(time.RFC3339))

	// The same (entity, grantee) again is a duplicate, whatever the level.
	in.Level = model.LevelAdmin
	_, err = e.CreateGrant(ctx, "org_acme", in)
	fmt.Println(errors.Is(err, model.ErrDuplicate))
	// Output:
	// agrant_ knowledge_slice:ks_q3_reports department:dept_finance write
	// created 2025-06-01T09:00:00Z ends 2025-08-30T09:00:00Z
	// true
}

func ExampleEngine_GetGrant() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	g, _ := e.CreateGrant(ctx, "org_acme", model.GrantInput{
		Entity:  model.EntityRef{Type: "assistant", ID: "asst_helpdesk"},
		Grantee: model.Role("role_support"),
		Level:   model.LevelRead,
	})
	got, err := e.GetGrant(ctx, "org_acme", g.ID)
	fmt.Println(got.Grantee, got.Level, err)

	// Another organisation cannot see it.
	_, err = e.GetGrant(ctx, "org_other", g.ID)
	fmt.Println(errors.Is(err, model.ErrNotFound))
	// Output:
	// role:role_support read <nil>
	// true
}

func ExampleEngine_UpdateGrant() {
	ctx := context.Background()
	now := exampleClock()
	e, _ := engine.Open(engine.WithClock(func() time.Time { return now }))
	defer e.Close()

	g, _ := e.CreateGrant(ctx, "org_acme", model.GrantInput{
		Entity:  model.EntityRef{Type: "vector_store", ID: "vs_docs"},
		Grantee: model.User("usr_bob"),
		Level:   model.LevelRead,
	})
	now = now.Add(time.Hour)
	up, err := e.UpdateGrant(ctx, "org_acme", g.ID, model.LevelAdmin)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(up.ID == g.ID, up.Level)
	fmt.Println("created", up.CreatedAt.Format(time.Kitchen), "updated", up.UpdatedAt.Format(time.Kitchen))
	// Output:
	// true admin
	// created 9:00AM updated 10:00AM
}

func ExampleEngine_RevokeGrant() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	g, _ := e.CreateGrant(ctx, "org_acme", model.GrantInput{
		Entity:  model.EntityRef{Type: "assistant", ID: "asst_helpdesk"},
		Grantee: model.User("usr_carol"),
		Level:   model.LevelWrite,
	})
	fmt.Println(e.RevokeGrant(ctx, "org_acme", g.ID))
	_, err := e.GetGrant(ctx, "org_acme", g.ID)
	fmt.Println(errors.Is(err, model.ErrNotFound))
	// Output:
	// <nil>
	// true
}

func ExampleEngine_ListGrants() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	for _, in := range []model.GrantInput{
		{Entity: model.EntityRef{Type: "vector_store", ID: "vs_b"}, Grantee: model.User("usr_alice"), Level: model.LevelRead},
		{Entity: model.EntityRef{Type: "vector_store", ID: "vs_a"}, Grantee: model.User("usr_bob"), Level: model.LevelAdmin},
		{Entity: model.EntityRef{Type: "vector_store", ID: "vs_a"}, Grantee: model.Role("role_ops"), Level: model.LevelWrite},
		{Entity: model.EntityRef{Type: "assistant", ID: "asst_x"}, Grantee: model.User("usr_alice"), Level: model.LevelWrite},
	} {
		if _, err := e.CreateGrant(ctx, "org_acme", in); err != nil {
			fmt.Println(err)
			return
		}
	}

	// Every vector store grant, two per page, in key order (entity, then grantee).
	q := model.GrantQuery{Entity: model.EntityRef{Type: "vector_store"}, Limit: 2}
	for {
		page, err := e.ListGrants(ctx, "org_acme", q)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, g := range page.Grants {
			fmt.Println(g.Entity, g.Grantee, g.Level)
		}
		if page.NextCursor == "" {
			break
		}
		fmt.Println("--- next page")
		q.Cursor = page.NextCursor
	}
	// Output:
	// vector_store:vs_a role:role_ops write
	// vector_store:vs_a user:usr_bob admin
	// --- next page
	// vector_store:vs_b user:usr_alice read
}

func ExampleEngine_AddMembers() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	slice := model.EntityRef{Type: "knowledge_slice", ID: "ks_roadmap"}
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: slice, Grantee: model.Department("dept_rnd"), Level: model.LevelRead})

	// usr_dana is in platform, a department inside R&D.
	err := e.AddMembers(ctx, "org_acme",
		model.Membership{Member: model.User("usr_dana"), Group: model.Department("dept_platform")},
		model.Membership{Member: model.Department("dept_platform"), Group: model.Department("dept_rnd")},
	)
	fmt.Println(err)
	ok, _ := e.Check(ctx, "org_acme", "usr_dana", slice, model.LevelRead)
	fmt.Println("dana reads the roadmap:", ok)

	// R&D inside platform would close a cycle: refused, and nothing of the
	// batch is added.
	err = e.AddMembers(ctx, "org_acme",
		model.Membership{Member: model.User("usr_erin"), Group: model.Department("dept_rnd")},
		model.Membership{Member: model.Department("dept_rnd"), Group: model.Department("dept_platform")},
	)
	fmt.Println(errors.Is(err, model.ErrConflict))
	ok, _ = e.Check(ctx, "org_acme", "usr_erin", slice, model.LevelRead)
	fmt.Println("erin reads the roadmap:", ok)
	// Output:
	// <nil>
	// dana reads the roadmap: true
	// true
	// erin reads the roadmap: false
}

func ExampleEngine_RemoveMembers() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	store := model.EntityRef{Type: "vector_store", ID: "vs_docs"}
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: store, Grantee: model.Role("role_editor"), Level: model.LevelWrite})
	m := model.Membership{Member: model.User("usr_frank"), Group: model.Role("role_editor")}
	_ = e.AddMembers(ctx, "org_acme", m)

	fmt.Println(e.RemoveMembers(ctx, "org_acme", m))
	ok, _ := e.Check(ctx, "org_acme", "usr_frank", store, model.LevelWrite)
	fmt.Println("frank writes:", ok)
	// Removing it again is a no-op.
	fmt.Println(e.RemoveMembers(ctx, "org_acme", m))
	// Output:
	// <nil>
	// frank writes: false
	// <nil>
}

func ExampleEngine_Close() {
	e := openExample()
	fmt.Println(e.Close())

	_, err := e.GetGrant(context.Background(), "org_acme", "agrant_x")
	fmt.Println(errors.Is(err, model.ErrClosed))
	fmt.Println(errors.Is(e.Close(), model.ErrClosed))
	// Output:
	// <nil>
	// true
	// true
}
