//go:build !race

// The million-item test is left out of race-enabled builds: the race
// detector makes it take many minutes, and the CI's `go test -race ./...`
// run must stay well under its time limit. The race-enabled run covers the
// same code with TestBulkCreateIsOneTransaction's 100k batch.

package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// TestBulkCreateMillion loads a million grants in one call, then sends the
// same batch again, which must skip every item.
func TestBulkCreateMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("a million-grant batch takes tens of seconds; skipped under -short")
	}
	const n = 1_000_000
	items := bulkOrganisation(n)
	e, err := engine.Open()
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()

	calls := 0
	res, err := e.BulkCreate(ctx, testOrg, items, bulk.Options{Progress: func(done, total int) { calls++ }})
	require.NoError(t, err)
	assert.Equal(t, bulk.Summary{Total: n, Succeeded: n}, res.Summary)
	assert.LessOrEqual(t, calls, 300)
	ids := make(map[string]bool, n)
	for i, it := range res.Items {
		if it.Index != i || it.Status != bulk.StatusCreated || ids[it.Grant.ID] {
			t.Fatalf("item %d: %+v", i, it)
		}
		ids[it.Grant.ID] = true
	}
	for _, i := range []int{0, n / 3, n - 1} {
		got, err := e.GetGrant(ctx, testOrg, res.Items[i].Grant.ID)
		require.NoError(t, err)
		assert.Equal(t, res.Items[i].Grant, got)
	}
	page, err := e.ListGrants(ctx, testOrg, model.GrantQuery{Entity: items[0].Entity})
	require.NoError(t, err)
	assert.Len(t, page.Grants, 10, "ten grants per document")

	again, err := e.BulkCreate(ctx, testOrg, items, bulk.Options{})
	require.NoError(t, err)
	assert.Equal(t, bulk.Summary{Total: n, Skipped: n}, again.Summary)
	for i := range again.Items {
		if again.Items[i].Grant != res.Items[i].Grant {
			t.Fatalf("item %d skipped with %+v, want the stored %+v", i, again.Items[i].Grant, res.Items[i].Grant)
		}
	}
}
