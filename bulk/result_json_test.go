package bulk_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

var jsonTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func jsonGrant() model.Grant {
	return model.Grant{
		ID: "g1", Org: "o1", Entity: model.EntityRef{Type: "doc", ID: "d1"}, Grantee: model.User("u1"),
		Level: model.LevelRead, GrantedBy: "admin", CreatedAt: jsonTime, UpdatedAt: jsonTime,
	}
}

const jsonGrantText = `{"id":"g1","entity_type":"doc","entity_id":"d1","grantee_type":"user","grantee_id":"u1",` +
	`"access_level":"read","granted_by":"admin","organization_id":"o1",` +
	`"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`

func TestResultJSON(t *testing.T) {
	res := bulk.Result{
		Summary: bulk.Summary{Total: 2, Succeeded: 1, Failed: 1},
		Items: []bulk.Item{
			{Index: 0, Status: bulk.StatusCreated, Grant: jsonGrant()},
			{Index: 1, Status: bulk.StatusFailed, Err: model.NewError(model.CodeValidation, model.FieldEntityID, "entity_id is required")},
		},
		Committed: true,
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"summary": {"total": 2, "succeeded": 1, "skipped": 0, "failed": 1},
		"items": [
			{"index": 0, "status": "created", "grant": `+jsonGrantText+`},
			{"index": 1, "status": "failed", "error": {"code": "VALIDATION_ERROR", "message": "entity_id is required", "field": "entity_id"}}
		],
		"committed": true
	}`, string(b))

	var back bulk.Result
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, res, back, "an Item's error comes back as the *model.Error it was")
}

func TestJobJSON(t *testing.T) {
	sum := bulk.JobSummary{
		ID: "job1", Name: "n", Description: "d", RequestedBy: "admin", Operation: bulk.OpRevoke,
		Status: bulk.JobInProgress, StartTime: jsonTime, StepsSucceeded: 1, StepsFailed: 2, StepsProcessed: 3, TotalSteps: 4,
	}
	b, err := json.Marshal(sum)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"job1","name":"n","description":"d","requested_by":"admin","operation":"revoke",
		"status":"InProgress","start_time":"2026-01-02T03:04:05Z",
		"steps_succeeded":1,"steps_failed":2,"steps_processed":3,"total_steps":4}`, string(b),
		"a zero end time is left out")

	step := bulk.JobStep{
		Resource: model.EntityRef{Type: "doc", ID: "d1"}, Status: bulk.JobFailed, StartTime: jsonTime, EndTime: jsonTime,
		Errors: []model.Error{{Code: model.CodeValidation, Message: "entity_id is required", Field: "entity_id"}},
	}
	b, err = json.Marshal(step)
	require.NoError(t, err)
	assert.JSONEq(t, `{"resource":{"type":"doc","id":"d1"},"status":"Failed",
		"start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:05Z",
		"errors":[{"code":"VALIDATION_ERROR","message":"entity_id is required","field":"entity_id"}]}`, string(b))

	b, err = json.Marshal(bulk.JobStep{Resource: model.EntityRef{Type: "doc", ID: "d2"}, Status: bulk.JobCancelled})
	require.NoError(t, err)
	assert.JSONEq(t, `{"resource":{"type":"doc","id":"d2"},"status":"Cancelled"}`, string(b))
}
