package model_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedGrantJSON is the 201 response of the Aitronos "Create access grant"
// seed, verbatim.
const seedGrantJSON = `{
  "id": "agrant_abc123def456",
  "entity_type": "knowledge_slice",
  "entity_id": "kslice_abc123",
  "grantee_type": "user",
  "grantee_id": "usr_def456",
  "access_level": "read",
  "granted_by": "usr_owner1",
  "organization_id": "org_xyz789",
  "created_at": "2025-06-15T10:00:00Z",
  "updated_at": "2025-06-15T10:00:00Z"
}`

func seedGrant() model.Grant {
	at := time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)
	return model.Grant{
		ID:        "agrant_abc123def456",
		Org:       "org_xyz789",
		Entity:    model.EntityRef{Type: "knowledge_slice", ID: "kslice_abc123"},
		Grantee:   model.User("usr_def456"),
		Level:     model.LevelRead,
		GrantedBy: "usr_owner1",
		CreatedAt: at,
		UpdatedAt: at,
	}
}

func TestGrantJSONIsTheSeedShape(t *testing.T) {
	b, err := json.Marshal(seedGrant())
	require.NoError(t, err)
	assert.JSONEq(t, seedGrantJSON, string(b))

	// Exactly the seed's keys: no nested objects, no extra fields.
	var keys map[string]any
	require.NoError(t, json.Unmarshal(b, &keys))
	var seedKeys map[string]any
	require.NoError(t, json.Unmarshal([]byte(seedGrantJSON), &seedKeys))
	assert.Len(t, keys, len(seedKeys))
	for k := range seedKeys {
		assert.Contains(t, keys, k)
	}
}

func TestGrantJSONFromSeed(t *testing.T) {
	var g model.Grant
	require.NoError(t, json.Unmarshal([]byte(seedGrantJSON), &g))
	assert.Equal(t, seedGrant(), g)
	assert.True(t, g.EffectiveFrom.IsZero())
	assert.True(t, g.EffectiveTo.IsZero())
}

func TestGrantJSONWindowOnlyWhenSet(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

	cases := []struct {
		name     string
		from, to time.Time
		want     map[string]string
	}{
		{"neither", time.Time{}, time.Time{}, map[string]string{}},
		{"from only", from, time.Time{}, map[string]string{"effective_from": "2026-01-01T00:00:00Z"}},
		{"to only", time.Time{}, to, map[string]string{"effective_to": "2026-07-01T00:00:00Z"}},
		{"both", from, to, map[string]string{"effective_from": "2026-01-01T00:00:00Z", "effective_to": "2026-07-01T00:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := seedGrant()
			g.EffectiveFrom, g.EffectiveTo = c.from, c.to
			b, err := json.Marshal(g)
			require.NoError(t, err)

			var fields map[string]any
			require.NoError(t, json.Unmarshal(b, &fields))
			for _, k := range []string{"effective_from", "effective_to"} {
				want, set := c.want[k]
				if set {
					assert.Equal(t, want, fields[k], k)
				} else {
					assert.NotContains(t, fields, k)
				}
			}

			var back model.Grant
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, g, back)
		})
	}
}

func TestGrantJSONRoundTripIsUTC(t *testing.T) {
	zurich := time.FixedZone("CEST", 2*60*60)
	g := seedGrant()
	g.Level = model.LevelAdmin
	g.Grantee = model.Role("editors")
	g.CreatedAt = time.Date(2026, 3, 1, 12, 30, 0, 123456789, zurich)
	g.UpdatedAt = g.CreatedAt.Add(time.Hour)
	g.EffectiveFrom = g.CreatedAt
	g.EffectiveTo = g.CreatedAt.Add(24 * time.Hour)

	b, err := json.Marshal(g)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"created_at":"2026-03-01T10:30:00.123456789Z"`)
	assert.Contains(t, string(b), `"grantee_type":"role"`)
	assert.Contains(t, string(b), `"access_level":"admin"`)

	var back model.Grant
	require.NoError(t, json.Unmarshal(b, &back))
	for _, pair := range [][2]time.Time{
		{g.CreatedAt, back.CreatedAt}, {g.UpdatedAt, back.UpdatedAt},
		{g.EffectiveFrom, back.EffectiveFrom}, {g.EffectiveTo, back.EffectiveTo},
	} {
		assert.True(t, pair[0].Equal(pair[1]), "%v != %v", pair[0], pair[1])
		assert.Equal(t, time.UTC, pair[1].Location())
	}
	back.CreatedAt, back.UpdatedAt, back.EffectiveFrom, back.EffectiveTo = g.CreatedAt, g.UpdatedAt, g.EffectiveFrom, g.EffectiveTo
	assert.Equal(t, g, back)
}

func TestGrantJSONRefusesBadInput(t *testing.T) {
	t.Run("level out of range", func(t *testing.T) {
		g := seedGrant()
		g.Level = 9
		_, err := json.Marshal(g)
		assert.ErrorIs(t, err, model.ErrValidation)
	})
	t.Run("time out of range in UTC", func(t *testing.T) {
		var g model.Grant
		err := json.Unmarshal([]byte(`{"id":"x","created_at":"0000-01-01T00:00:00+01:00"}`), &g)
		var me *model.Error
		require.ErrorAs(t, err, &me)
		assert.Equal(t, "created_at", me.Field)
		assert.ErrorIs(t, err, model.ErrValidation)
		assert.Equal(t, model.Grant{}, g, "a refused decode leaves the grant alone")
	})
	for name, doc := range map[string]string{
		"unknown level": `{"access_level":"owner"}`,
		"level number":  `{"access_level":1}`,
		"bad time":      `{"created_at":"yesterday"}`,
		"not an object": `[1,2,3]`,
		"truncated":     `{"id":"agrant_1"`,
	} {
		t.Run(name, func(t *testing.T) {
			var g model.Grant
			assert.Error(t, json.Unmarshal([]byte(doc), &g))
		})
	}
}

func TestGrantWindow(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	g := model.Grant{EffectiveFrom: from, EffectiveTo: to}

	assert.False(t, g.ActiveAt(from.Add(-time.Nanosecond)), "before from")
	assert.True(t, g.ActiveAt(from), "from is inclusive")
	assert.True(t, g.ActiveAt(to.Add(-time.Nanosecond)))
	assert.False(t, g.ActiveAt(to), "to is exclusive")
	assert.False(t, g.EndedAt(to.Add(-time.Nanosecond)))
	assert.True(t, g.EndedAt(to))

	open := model.Grant{}
	assert.True(t, open.ActiveAt(time.Time{}))
	assert.True(t, open.ActiveAt(to))
	assert.False(t, open.EndedAt(to.Add(100*365*24*time.Hour)))
}
