package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func ExampleEngine_Changes() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	slice := model.EntityRef{Type: "knowledge_slice", ID: "ks_q3_reports"}
	g, _ := e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: slice, Grantee: model.User("usr_alice"), Level: model.LevelRead})
	_, _ = e.CreateGrant(ctx, "org_other", model.GrantInput{Entity: slice, Grantee: model.User("usr_bob"), Level: model.LevelRead})
	_ = e.AddMembers(ctx, "org_acme", model.Membership{Member: model.User("usr_alice"), Group: model.Department("dept_finance")})
	_ = e.RevokeGrant(ctx, "org_acme", g.ID)

	changes, err := e.Changes(ctx, "org_acme", 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range changes {
		for _, gc := range ch.Grants {
			fmt.Println(ch.Revision, gc.Op, "grant", gc.Grant.Grantee, gc.Grant.Level, gc.Grant.Entity)
		}
		for _, mc := range ch.Memberships {
			fmt.Println(ch.Revision, mc.Op, "membership", mc.Membership.Member, "in", mc.Membership.Group)
		}
	}
	fmt.Println("published:", e.Revision())
	// Output:
	// 1 write grant user:usr_alice read knowledge_slice:ks_q3_reports
	// 3 write membership user:usr_alice in department:dept_finance
	// 4 delete grant user:usr_alice read knowledge_slice:ks_q3_reports
	// published: 4
}

func ExampleEngine_Watch() {
	e, err := engine.Open(engine.WithClock(exampleClock), engine.WithChangeRetention(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// A consumer (a cache, a search index) watches from the revision it has.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch, err := range e.Watch(ctx, "org_acme", 0) {
			if errors.Is(err, model.ErrCompacted) {
				fmt.Println("fell behind: read the state afresh")
				return
			}
			if err != nil {
				return // ctx ended, or the engine closed
			}
			for _, gc := range ch.Grants {
				fmt.Println(ch.Revision, gc.Op, gc.Grant.Grantee, "on", gc.Grant.Entity)
			}
			if ch.Revision == 2 {
				cancel()
			}
		}
	}()

	doc := model.EntityRef{Type: "document", ID: "d1"}
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: doc, Grantee: model.User("usr_alice"), Level: model.LevelRead})
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: doc, Grantee: model.Role("role_editor"), Level: model.LevelWrite})
	<-done
	// Output:
	// 1 write user:usr_alice on document:d1
	// 2 write role:role_editor on document:d1
}

func ExampleEngine_WaitRevision() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	slice := model.EntityRef{Type: "knowledge_slice", ID: "ks_q3_reports"}
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: slice, Grantee: model.User("usr_alice"), Level: model.LevelRead})
	token := e.Revision() // handed to another process, or kept for later reads

	// A read that must see that write waits for its revision first: on the
	// engine that wrote it, at once.
	if err := e.WaitRevision(ctx, token); err != nil {
		fmt.Println(err)
		return
	}
	ok, _ := e.Check(ctx, "org_acme", "usr_alice", slice, model.LevelRead)
	fmt.Println(token, ok)
	// Output: 1 true
}

func ExampleEngine_Revision() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	fmt.Println(e.Revision())
	slice := model.EntityRef{Type: "knowledge_slice", ID: "ks_q3_reports"}
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: slice, Grantee: model.User("usr_alice"), Level: model.LevelRead})
	_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: slice, Grantee: model.User("usr_alice"), Level: model.LevelRead})
	fmt.Println(e.Revision(), "(a refused write commits nothing)")
	// Output:
	// 0
	// 1 (a refused write commits nothing)
}

func ExampleWithChangeRetention() {
	ctx := context.Background()
	e, err := engine.Open(engine.WithClock(exampleClock), engine.WithChangeRetention(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	for _, id := range []string{"d1", "d2", "d3"} {
		_, _ = e.CreateGrant(ctx, "org_acme", model.GrantInput{
			Entity: model.EntityRef{Type: "document", ID: id}, Grantee: model.User("usr_alice"), Level: model.LevelRead,
		})
	}
	_, err = e.Changes(ctx, "org_acme", 0, 0)
	fmt.Println(errors.Is(err, model.ErrCompacted))
	changes, _ := e.Changes(ctx, "org_acme", 1, 0)
	fmt.Println(len(changes), "changes after revision 1")
	// Output:
	// true
	// 2 changes after revision 1
}
