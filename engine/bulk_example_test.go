package engine_test

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// bulkExampleItems is Elacity's bulk grant: two assistants for one user, one of
// them twice, and an entity type the engine does not allow.
func bulkExampleItems() []model.GrantInput {
	asst := func(id string) model.EntityRef { return model.EntityRef{Type: "assistant", ID: id} }
	return []model.GrantInput{
		{Entity: asst("a1"), Grantee: model.User("usr_ana"), Level: model.LevelRead},
		{Entity: asst("a2"), Grantee: model.User("usr_ana"), Level: model.LevelWrite},
		{Entity: asst("a1"), Grantee: model.User("usr_ana"), Level: model.LevelAdmin},
		{Entity: model.EntityRef{Type: "registry", ID: "r1"}, Grantee: model.User("usr_ana"), Level: model.LevelRead},
	}
}

func printBulkResult(res bulk.Result) {
	fmt.Printf("HTTP %d, committed %v, %+v\n", res.HTTPStatus(), res.Committed, res.Summary)
	for _, it := range res.Items {
		switch it.Status {
		case bulk.StatusFailed:
			fmt.Printf("  %d %s: %v\n", it.Index, it.Status, it.Err)
		case bulk.StatusRolledBack:
			fmt.Printf("  %d %s\n", it.Index, it.Status)
		default:
			fmt.Printf("  %d %s: %s on %s, %s\n", it.Index, it.Status, it.Grant.Grantee, it.Grant.Entity, it.Grant.Level)
		}
	}
}

func ExampleEngine_BulkCreate() {
	e := openExample()
	defer e.Close()

	// SkipDuplicates, the zero mode: the repeat of a1 is skipped, the bad
	// entity type fails alone, the rest is created.
	res, err := e.BulkCreate(context.Background(), "org_acme", bulkExampleItems(), bulk.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	printBulkResult(res)
	// Output:
	// HTTP 207, committed true, {Total:4 Succeeded:2 Skipped:1 Failed:1}
	//   0 created: user:usr_ana on assistant:a1, read
	//   1 created: user:usr_ana on assistant:a2, write
	//   2 skipped: user:usr_ana on assistant:a1, read
	//   3 failed: entity_type must be one of {'knowledge_slice', 'vector_store', 'assistant'}
}

func ExampleEngine_BulkCreate_allOrNothing() {
	e := openExample()
	defer e.Close()

	// Canopy's all-or-nothing batch: one bad item and nothing is written.
	res, err := e.BulkCreate(context.Background(), "org_acme", bulkExampleItems(), bulk.Options{Mode: bulk.AllOrNothing})
	if err != nil {
		fmt.Println(err)
		return
	}
	printBulkResult(res)
	page, _ := e.ListGrants(context.Background(), "org_acme", model.GrantQuery{})
	fmt.Println("stored:", len(page.Grants))
	// Output:
	// HTTP 422, committed false, {Total:4 Succeeded:0 Skipped:0 Failed:2}
	//   0 rolled_back
	//   1 rolled_back
	//   2 failed: grantee_id: user:usr_ana already has a grant on assistant:a1 in this batch (item 0)
	//   3 failed: entity_type must be one of {'knowledge_slice', 'vector_store', 'assistant'}
	// stored: 0
}

func ExampleEngine_BulkCreate_upsert() {
	e := openExample()
	defer e.Close()
	ctx := context.Background()

	first, _ := e.BulkCreate(ctx, "org_acme", bulkExampleItems()[:2], bulk.Options{})
	// Upsert: duplicates take the new level and keep their id.
	res, err := e.BulkCreate(ctx, "org_acme", bulkExampleItems()[2:3], bulk.Options{Mode: bulk.Upsert, Progress: func(done, total int) {
		fmt.Printf("progress %d/%d\n", done, total)
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	printBulkResult(res)
	fmt.Println("same id:", res.Items[0].Grant.ID == first.Items[0].Grant.ID)
	// Output:
	// progress 0/1
	// progress 1/1
	// HTTP 200, committed true, {Total:1 Succeeded:1 Skipped:0 Failed:0}
	//   0 updated: user:usr_ana on assistant:a1, admin
	// same id: true
}
