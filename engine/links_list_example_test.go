package engine_test

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// Links lists what LinkEntities stored, ordered by child: what a tool
// exporting an organisation writes out.
func ExampleEngine_Links() {
	ctx := context.Background()
	db, err := engine.Open()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	plans := model.EntityRef{Type: "folder", ID: "plans"}
	err = db.LinkEntities(ctx, "org_acme",
		model.EntityLink{Child: model.EntityRef{Type: "document", ID: "roadmap"}, Parent: plans},
		model.EntityLink{Child: model.EntityRef{Type: "document", ID: "budget"}, Parent: plans},
	)
	if err != nil {
		panic(err)
	}
	links, err := db.Links(ctx, "org_acme")
	for _, l := range links {
		fmt.Println(l.Child, "in", l.Parent)
	}
	fmt.Println(err)
	// Output:
	// document:budget in folder:plans
	// document:roadmap in folder:plans
	// <nil>
}
