package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func ExampleWithPath() {
	dir, err := os.MkdirTemp("", "grantdb-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "db") // created on first Open
	ctx := context.Background()

	e, err := engine.Open(engine.WithPath(path), engine.WithClock(exampleClock))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The call returns once the grant is on disk (SyncAlways).
	g, err := e.CreateGrant(ctx, "org_acme", model.GrantInput{
		Entity:  model.EntityRef{Type: "vector_store", ID: "vs_1"},
		Grantee: model.User("usr_ada"),
		Level:   model.LevelWrite,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// While it is open, the directory is locked.
	_, err = engine.Open(engine.WithPath(path))
	fmt.Println("second open locked:", errors.Is(err, engine.ErrLocked))
	if err := e.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// Opened again, the engine has everything it acknowledged.
	e, err = engine.Open(engine.WithPath(path), engine.WithClock(exampleClock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	again, err := e.GetGrant(ctx, "org_acme", g.ID)
	fmt.Println("same grant:", err == nil && again == g)
	ok, _ := e.Check(ctx, "org_acme", "usr_ada", model.EntityRef{Type: "vector_store", ID: "vs_1"}, model.LevelRead)
	fmt.Println("usr_ada may read vs_1:", ok)
	// Output:
	// second open locked: true
	// same grant: true
	// usr_ada may read vs_1: true
}

func ExampleEngine_Snapshot() {
	dir, err := os.MkdirTemp("", "grantdb-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	vs := model.EntityRef{Type: "vector_store", ID: "vs_1"}

	// Even an in-memory engine can be copied to disk.
	e := openExample()
	defer e.Close()
	if _, err := e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: vs, Grantee: model.User("usr_ada"), Level: model.LevelRead}); err != nil {
		fmt.Println(err)
		return
	}
	backup := filepath.Join(dir, "backup")
	if err := e.Snapshot(ctx, backup); err != nil {
		fmt.Println(err)
		return
	}
	// Later writes are not in the copy.
	if _, err := e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: vs, Grantee: model.User("usr_bob"), Level: model.LevelRead}); err != nil {
		fmt.Println(err)
		return
	}

	c, err := engine.Open(engine.WithPath(backup), engine.WithClock(exampleClock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, user := range []string{"usr_ada", "usr_bob"} {
		live, _ := e.Check(ctx, "org_acme", user, vs, model.LevelRead)
		copied, _ := c.Check(ctx, "org_acme", user, vs, model.LevelRead)
		fmt.Printf("%s: engine %v, snapshot %v\n", user, live, copied)
	}
	// Output:
	// usr_ada: engine true, snapshot true
	// usr_bob: engine true, snapshot false
}
