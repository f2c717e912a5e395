package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// Example is the usage example of the README: TestReadmeIsExample checks
// that the README's program is this code.
func Example() {
	ctx := context.Background()
	db, err := engine.Open(engine.WithEntityTypes("document", "folder"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	const org = "org_acme"
	doc := model.EntityRef{Type: "document", ID: "doc1"}

	// Editors may write doc1; senior editors carry the editor role; carol is one.
	_, err = db.CreateGrant(ctx, org, model.GrantInput{
		Entity: doc, Grantee: model.Role("editor"), Level: model.LevelWrite, GrantedBy: "usr_admin",
	})
	if err != nil {
		log.Fatal(err)
	}
	err = db.AddMembers(ctx, org,
		model.Membership{Member: model.Role("senior_editor"), Group: model.Role("editor")},
		model.Membership{Member: model.User("carol"), Group: model.Role("senior_editor")},
	)
	if err != nil {
		log.Fatal(err)
	}

	canWrite, err := db.Check(ctx, org, "carol", doc, model.LevelWrite)
	if err != nil {
		log.Fatal(err)
	}
	canAdmin, err := db.Check(ctx, org, "carol", doc, model.LevelAdmin)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("carol writes doc1:", canWrite, "- administers it:", canAdmin)
	// Output: carol writes doc1: true - administers it: false
}
