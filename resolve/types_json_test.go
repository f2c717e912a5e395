package resolve_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

func TestDecisionAndUserAccessJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	g := model.Grant{
		ID: "g1", Org: "o1", Entity: model.EntityRef{Type: "doc", ID: "d1"}, Grantee: model.Department("eng"),
		Level: model.LevelWrite, CreatedAt: at, UpdatedAt: at,
	}
	grant := `{"id":"g1","entity_type":"doc","entity_id":"d1","grantee_type":"department","grantee_id":"eng",` +
		`"access_level":"write","granted_by":"","organization_id":"o1",` +
		`"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`
	path := resolve.Path{Grant: g, Chain: []model.Subject{model.User("u1"), model.Department("eng")}, Entities: []model.EntityRef{g.Entity}}
	pathText := `{"grant":` + grant + `,"chain":[{"type":"user","id":"u1"},{"type":"department","id":"eng"}],"entities":[{"type":"doc","id":"d1"}]}`

	b, err := json.Marshal(resolve.Decision{Entity: g.Entity, Level: model.LevelWrite, Via: []resolve.Path{path}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"entity":{"type":"doc","id":"d1"},"level":"write","via":[`+pathText+`]}`, string(b))

	b, err = json.Marshal(resolve.UserAccess{User: "u1", Level: model.LevelWrite, Via: []resolve.Path{path}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"user":"u1","level":"write","via":[`+pathText+`]}`, string(b))

	var back resolve.Decision
	require.NoError(t, json.Unmarshal([]byte(`{"entity":{"type":"doc","id":"d1"},"level":"write","via":[`+pathText+`]}`), &back))
	assert.Equal(t, resolve.Decision{Entity: g.Entity, Level: model.LevelWrite, Via: []resolve.Path{path}}, back)
}
