package engine_test

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// A folder holds a document: the folder's grant reaches the document, and
// the explanation names the entities it came down through.
func ExampleEngine_LinkEntities() {
	ctx := context.Background()
	db, err := engine.Open()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	const org = "org_acme"
	plans := model.EntityRef{Type: "folder", ID: "plans"}
	roadmap := model.EntityRef{Type: "document", ID: "roadmap"}
	if err := db.LinkEntities(ctx, org, model.EntityLink{Child: roadmap, Parent: plans}); err != nil {
		panic(err)
	}
	if _, err := db.CreateGrant(ctx, org, model.GrantInput{Entity: plans, Grantee: model.User("ann"), Level: model.LevelWrite}); err != nil {
		panic(err)
	}
	d, err := db.Resolve(ctx, org, "ann", roadmap)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Level, "via", d.Via[0].Entities)

	// A link that would close a cycle is refused.
	err = db.LinkEntities(ctx, org, model.EntityLink{Child: plans, Parent: roadmap})
	fmt.Println(err)
	// Output:
	// write via [document:roadmap folder:plans]
	// parent_id: document:roadmap is already inside folder:plans: putting folder:plans inside document:roadmap would close a cycle
}

// Taking a document out of its folder takes the folder's grants away from
// it; removing a link that is not there is a no-op.
func ExampleEngine_UnlinkEntities() {
	ctx := context.Background()
	db, err := engine.Open()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	const org = "org_acme"
	link := model.EntityLink{
		Child:  model.EntityRef{Type: "document", ID: "roadmap"},
		Parent: model.EntityRef{Type: "folder", ID: "plans"},
	}
	if err := db.LinkEntities(ctx, org, link); err != nil {
		panic(err)
	}
	if _, err := db.CreateGrant(ctx, org, model.GrantInput{Entity: link.Parent, Grantee: model.User("ann"), Level: model.LevelRead}); err != nil {
		panic(err)
	}
	for range 2 {
		err := db.UnlinkEntities(ctx, org, link)
		ok, _ := db.Check(ctx, org, "ann", link.Child, model.LevelRead)
		fmt.Println(err, ok)
	}
	// Output:
	// <nil> false
	// <nil> false
}

// A deny at write leaves a member of the denied group read access, whatever
// allows them more, and the decision names the deny that won.
func ExampleEngine_CreateGrant_deny() {
	ctx := context.Background()
	db, err := engine.Open()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	const org = "org_acme"
	ledger := model.EntityRef{Type: "document", ID: "ledger"}
	if err := db.AddMembers(ctx, org, model.Membership{Member: model.User("bob"), Group: model.Department("contractors")}); err != nil {
		panic(err)
	}
	for _, in := range []model.GrantInput{
		{Entity: ledger, Grantee: model.User("bob"), Level: model.LevelAdmin},
		{Entity: ledger, Grantee: model.Department("contractors"), Level: model.LevelWrite, Effect: model.EffectDeny},
	} {
		if _, err := db.CreateGrant(ctx, org, in); err != nil {
			panic(err)
		}
	}
	d, err := db.Resolve(ctx, org, "bob", ledger)
	if err != nil {
		panic(err)
	}
	fmt.Println("level:", d.Level)
	fmt.Println("allowed by:", d.Via[0].Grant.Effect, d.Via[0].Grant.Level, "to", d.Via[0].Grant.Grantee)
	fmt.Println("denied by:", d.Denied[0].Grant.Effect, d.Denied[0].Grant.Level, "to", d.Denied[0].Grant.Grantee, "along", d.Denied[0].Chain)
	// Output:
	// level: read
	// allowed by: allow admin to user:bob
	// denied by: deny write to department:contractors along [user:bob department:contractors]
}

// CheckSubject answers for a group as a whole: what every member gets from
// it, here through a parent department and a parent folder.
func ExampleEngine_CheckSubject() {
	ctx := context.Background()
	db, err := engine.Open()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	const org = "org_acme"
	docs := model.EntityRef{Type: "folder", ID: "docs"}
	spec := model.EntityRef{Type: "document", ID: "spec"}
	if err := db.AddMembers(ctx, org, model.Membership{Member: model.Department("eng"), Group: model.Department("rnd")}); err != nil {
		panic(err)
	}
	if err := db.LinkEntities(ctx, org, model.EntityLink{Child: spec, Parent: docs}); err != nil {
		panic(err)
	}
	if _, err := db.CreateGrant(ctx, org, model.GrantInput{Entity: docs, Grantee: model.Department("rnd"), Level: model.LevelRead}); err != nil {
		panic(err)
	}
	for _, s := range []model.Subject{model.Department("eng"), model.Department("rnd"), model.Role("sales")} {
		ok, err := db.CheckSubject(ctx, org, s, spec, model.LevelRead)
		fmt.Println(s, ok, err)
	}
	// Output:
	// department:eng true <nil>
	// department:rnd true <nil>
	// role:sales false <nil>
}
