package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

func ExampleWithCutCorruptTail() {
	dir, err := os.MkdirTemp("", "grantdb-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	e, err := engine.Open(engine.WithPath(dir), engine.WithCheckpointEvery(0, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, doc := range []string{"doc_1", "doc_2"} {
		in := model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: doc}, Grantee: model.User("usr_ada"), Level: model.LevelRead}
		if _, err := e.CreateGrant(ctx, "org_acme", in); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := e.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// A byte of the journal's last record goes bad on disk.
	segs, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
	if err != nil || len(segs) != 1 {
		fmt.Println(segs, err)
		return
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	b[len(b)-8] ^= 1
	if err := os.WriteFile(segs[0], b, 0o644); err != nil {
		fmt.Println(err)
		return
	}

	_, err = engine.Open(engine.WithPath(dir))
	fmt.Println("open fails:", errors.Is(err, engine.ErrCorrupt))

	// The operator decides to lose that record.
	e, err = engine.Open(engine.WithPath(dir), engine.WithCutCorruptTail(),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	page, err := e.ListGrants(ctx, "org_acme", model.GrantQuery{})
	fmt.Println("grants left:", len(page.Grants), err)
	// Output:
	// open fails: true
	// grants left: 1 <nil>
}
