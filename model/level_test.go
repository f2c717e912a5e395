package model_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLevelStringAndParse(t *testing.T) {
	cases := []struct {
		level model.Level
		word  string
	}{
		{model.LevelNone, "none"},
		{model.LevelRead, "read"},
		{model.LevelWrite, "write"},
		{model.LevelAdmin, "admin"},
	}
	for _, c := range cases {
		t.Run(c.word, func(t *testing.T) {
			assert.Equal(t, c.word, c.level.String())
			assert.True(t, c.level.Valid())

			got, err := model.ParseLevel(c.word)
			require.NoError(t, err)
			assert.Equal(t, c.level, got)

			text, err := c.level.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, c.word, string(text))

			var back model.Level
			require.NoError(t, back.UnmarshalText(text))
			assert.Equal(t, c.level, back)
		})
	}
}

func TestLevelOrder(t *testing.T) {
	assert.Less(t, model.LevelNone, model.LevelRead)
	assert.Less(t, model.LevelRead, model.LevelWrite)
	assert.Less(t, model.LevelWrite, model.LevelAdmin)
}

func TestParseLevelRefusesOtherWords(t *testing.T) {
	for _, s := range []string{"", "Read", "READ", " read", "read ", "owner", "1", "level(4)", "r\x00ead"} {
		t.Run(s, func(t *testing.T) {
			l, err := model.ParseLevel(s)
			assert.Equal(t, model.LevelNone, l)
			var me *model.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, model.CodeValidation, me.Code)
			assert.Equal(t, model.FieldAccessLevel, me.Field)
			assert.Equal(t, "access_level must be one of {'read', 'write', 'admin'}", me.Message)
			assert.ErrorIs(t, err, model.ErrValidation)
		})
	}
}

func TestLevelOutOfRange(t *testing.T) {
	for _, l := range []model.Level{4, 17, 255} {
		assert.False(t, l.Valid())
		assert.Equal(t, "level("+strconv.Itoa(int(l))+")", l.String())

		_, err := l.MarshalText()
		var me *model.Error
		require.ErrorAs(t, err, &me)
		assert.Equal(t, model.FieldAccessLevel, me.Field)
		assert.ErrorIs(t, err, model.ErrValidation)

		// A corrupt level never reaches the wire, not even inside a struct.
		_, err = json.Marshal(struct{ L model.Level }{l})
		assert.Error(t, err)
	}
}

func TestLevelJSONInStruct(t *testing.T) {
	type doc struct {
		Level model.Level `json:"level"`
	}
	for _, l := range []model.Level{model.LevelNone, model.LevelRead, model.LevelWrite, model.LevelAdmin} {
		b, err := json.Marshal(doc{Level: l})
		require.NoError(t, err)
		assert.JSONEq(t, `{"level":"`+l.String()+`"}`, string(b))

		var back doc
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, l, back.Level)
	}

	t.Run("unknown word", func(t *testing.T) {
		var back doc
		err := json.Unmarshal([]byte(`{"level":"owner"}`), &back)
		require.Error(t, err)
		assert.ErrorIs(t, err, model.ErrValidation)
	})
	t.Run("number", func(t *testing.T) {
		var back doc
		assert.Error(t, json.Unmarshal([]byte(`{"level":2}`), &back))
	})
}
