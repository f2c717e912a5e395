package engine_test

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/model"
)

func ExampleEngine_Organizations() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	_, _ = e.CreateGrant(ctx, "org_globex", model.GrantInput{
		Entity:  model.EntityRef{Type: "assistant", ID: "as_helpdesk"},
		Grantee: model.User("usr_hank"),
		Level:   model.LevelRead,
	})
	_ = e.AddMembers(ctx, "org_acme", model.Membership{Member: model.User("usr_alice"), Group: model.Role("role_analyst")})

	orgs, err := e.Organizations(ctx)
	fmt.Println(orgs, err)
	// Output: [org_acme org_globex] <nil>
}

func ExampleEngine_Memberships() {
	ctx := context.Background()
	e := openExample()
	defer e.Close()

	_ = e.AddMembers(ctx, "org_acme",
		model.Membership{Member: model.User("usr_bob"), Group: model.Department("dept_finance")},
		model.Membership{Member: model.User("usr_alice"), Group: model.Role("role_analyst")},
	)

	ms, err := e.Memberships(ctx, "org_acme")
	for _, m := range ms {
		fmt.Println(m.Member, "in", m.Group)
	}
	fmt.Println(err)
	// Output:
	// user:usr_alice in role:role_analyst
	// user:usr_bob in department:dept_finance
	// <nil>
}
