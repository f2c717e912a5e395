package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// openJobExample opens an engine where three streams have grants.
func openJobExample() *engine.Engine {
	e, err := engine.Open(engine.WithEntityTypes("stream", "asset"))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, id := range []string{"s1", "s2", "s3"} {
		_, err := e.CreateGrant(ctx, "org_acme", model.GrantInput{
			Entity:  model.EntityRef{Type: "stream", ID: id},
			Grantee: model.Role("operators"), Level: model.LevelWrite,
		})
		if err != nil {
			panic(err)
		}
	}
	return e
}

func ExampleEngine_SubmitJob() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	// Every stream of the namespace ends with exactly this access list.
	sub, err := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{
		Name:        "lock down streams",
		RequestedBy: "usr_admin",
		Operation:   bulk.OpReplaceAll,
		EntityType:  "stream",
		ACL: []bulk.ACE{
			{Grantee: model.Role("operators"), Level: model.LevelRead},
			{Grantee: model.Role("admins"), Level: model.LevelAdmin},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(sub.Name, "-", sub.Status, "- steps:", sub.TotalSteps)

	if _, err := e.WaitJob(ctx, "org_acme", sub.ID); err != nil {
		panic(err)
	}
	page, _ := e.ListGrants(ctx, "org_acme", model.GrantQuery{Entity: model.EntityRef{Type: "stream", ID: "s2"}})
	for _, g := range page.Grants {
		fmt.Printf("%s %s granted by %q\n", g.Grantee, g.Level, g.GrantedBy)
	}

	// A bad spec is refused before anything runs.
	_, err = e.SubmitJob(ctx, "org_acme", bulk.JobSpec{Operation: bulk.OpRevoke})
	fmt.Println(err)
	// Output:
	// lock down streams - NotStarted - steps: 3
	// role:admins admin granted by "usr_admin"
	// role:operators read granted by ""
	// resources: exactly one of resources and entity_type is required for revoke
}

func ExampleEngine_WaitJob() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	sub, err := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{
		Operation: bulk.OpRevoke,
		Resources: []model.EntityRef{{Type: "stream", ID: "s1"}, {Type: "table", ID: "t1"}},
	})
	if err != nil {
		panic(err)
	}
	sum, err := e.WaitJob(ctx, "org_acme", sub.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(sum.Status)
	fmt.Printf("succeeded %d, failed %d, processed %d of %d\n",
		sum.StepsSucceeded, sum.StepsFailed, sum.StepsProcessed, sum.TotalSteps)
	// Output:
	// PartiallySucceeded
	// succeeded 1, failed 1, processed 2 of 2
}

func ExampleEngine_JobSteps() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	sub, _ := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{
		Operation: bulk.OpCreate,
		Mode:      bulk.Upsert,
		Grants: []model.GrantInput{
			{Entity: model.EntityRef{Type: "stream", ID: "s1"}, Grantee: model.User("ann"), Level: model.LevelRead},
			{Entity: model.EntityRef{Type: "asset", ID: "a1"}, Grantee: model.User("ann"), Level: model.LevelAdmin},
			{Entity: model.EntityRef{Type: "table", ID: "t1"}, Grantee: model.User("ann"), Level: model.LevelRead},
		},
	})
	if _, err := e.WaitJob(ctx, "org_acme", sub.ID); err != nil {
		panic(err)
	}

	all, _ := e.JobSteps(ctx, "org_acme", sub.ID, bulk.FilterAll, 0, 0)
	for _, s := range all {
		fmt.Println(s.Resource, s.Status)
	}
	failed, _ := e.JobSteps(ctx, "org_acme", sub.ID, bulk.FilterFailure, 0, 10)
	for _, s := range failed {
		fmt.Println("failed:", s.Resource, s.Errors[0].Code, s.Errors[0].Field)
	}
	page, _ := e.JobSteps(ctx, "org_acme", sub.ID, bulk.FilterAll, 1, 1)
	fmt.Println("second step:", page[0].Resource)
	// Output:
	// stream:s1 Succeeded
	// asset:a1 Succeeded
	// table:t1 Failed
	// failed: table:t1 VALIDATION_ERROR entity_type
	// second step: asset:a1
}

func ExampleEngine_Job() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	sub, _ := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "stream",
		Grantees: []model.Subject{model.Role("operators")}})
	_, _ = e.WaitJob(ctx, "org_acme", sub.ID)
	sum, _ := e.Job(ctx, "org_acme", sub.ID)
	fmt.Println(sum.Operation, sum.Status, sum.StepsSucceeded)

	// Jobs are scoped by organisation.
	_, err := e.Job(ctx, "org_other", sub.ID)
	fmt.Println(errors.Is(err, model.ErrNotFound))
	// Output:
	// revoke Succeeded 3
	// true
}

func ExampleEngine_Jobs() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	for _, name := range []string{"first", "second"} {
		sub, _ := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{Name: name, Operation: bulk.OpRevoke,
			Resources: []model.EntityRef{{Type: "asset", ID: "a9"}}})
		_, _ = e.WaitJob(ctx, "org_acme", sub.ID)
	}
	jobs, _ := e.Jobs(ctx, "org_acme")
	for _, j := range jobs {
		fmt.Println(j.Name, j.Status)
	}
	// Output:
	// second Succeeded
	// first Succeeded
}

func ExampleEngine_CancelJob() {
	e := openJobExample()
	defer e.Close()
	ctx := context.Background()

	sub, _ := e.SubmitJob(ctx, "org_acme", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "stream"})
	sum, _ := e.WaitJob(ctx, "org_acme", sub.ID)
	// Cancelling a job that has ended changes nothing.
	fmt.Println(e.CancelJob(ctx, "org_acme", sub.ID))
	after, _ := e.Job(ctx, "org_acme", sub.ID)
	fmt.Println(after.Status, after == sum)
	// Output:
	// <nil>
	// Succeeded true
}
