package bulk_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

func TestResultHTTPStatus(t *testing.T) {
	dup := bulk.Item{Status: bulk.StatusFailed, Err: model.NewError(model.CodeDuplicate, model.FieldGranteeID, "duplicate")}
	bad := bulk.Item{Status: bulk.StatusFailed, Err: model.NewError(model.CodeValidation, model.FieldAccessLevel, "bad level")}
	created := bulk.Item{Status: bulk.StatusCreated}
	updated := bulk.Item{Status: bulk.StatusUpdated}
	skipped := bulk.Item{Status: bulk.StatusSkipped}
	rolledBack := bulk.Item{Status: bulk.StatusRolledBack}
	result := func(committed bool, items ...bulk.Item) bulk.Result {
		r := bulk.Result{Items: items, Committed: committed, Summary: bulk.Summary{Total: len(items)}}
		for _, it := range items {
			switch it.Status {
			case bulk.StatusCreated, bulk.StatusUpdated:
				r.Summary.Succeeded++
			case bulk.StatusSkipped:
				r.Summary.Skipped++
			case bulk.StatusFailed:
				r.Summary.Failed++
			}
		}
		return r
	}
	tests := []struct {
		name string
		r    bulk.Result
		want int
	}{
		{"empty batch", result(true), 200},
		{"all created", result(true, created, created), 200},
		{"all skipped", result(true, skipped, skipped), 200},
		{"created, updated and skipped", result(true, created, updated, skipped), 200},
		{"committed with a failure", result(true, created, bad), 207},
		{"committed with a duplicate failure", result(true, updated, dup), 207},
		{"skipped and failed", result(true, skipped, bad), 207},
		{"committed, only duplicate failures", result(true, dup, dup), 409},
		{"committed, only invalid failures", result(true, bad), 422},
		{"committed, mixed failures only", result(true, dup, bad), 422},
		{"refused on duplicates", result(false, rolledBack, dup, dup), 409},
		{"refused on an invalid item", result(false, bad, rolledBack), 422},
		{"refused on both", result(false, dup, rolledBack, bad), 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.r.HTTPStatus())
		})
	}
}
