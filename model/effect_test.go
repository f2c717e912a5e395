package model_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEffectStringAndParse(t *testing.T) {
	for _, c := range []struct {
		effect model.Effect
		word   string
	}{{model.EffectAllow, "allow"}, {model.EffectDeny, "deny"}} {
		t.Run(c.word, func(t *testing.T) {
			assert.Equal(t, c.word, c.effect.String())
			got, err := model.ParseEffect(c.word)
			require.NoError(t, err)
			assert.Equal(t, c.effect, got)
			text, err := c.effect.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, c.word, string(text))
			var back model.Effect
			require.NoError(t, back.UnmarshalText(text))
			assert.Equal(t, c.effect, back)
		})
	}
	assert.Equal(t, model.EffectAllow, model.Effect(0), "the zero value allows")
}

func TestEffectRefusals(t *testing.T) {
	for _, s := range []string{"", "Allow", "DENY", "grant", "deny "} {
		_, err := model.ParseEffect(s)
		var me *model.Error
		require.True(t, errors.As(err, &me), "%q", s)
		assert.Equal(t, model.FieldEffect, me.Field)
		assert.ErrorIs(t, err, model.ErrValidation)
	}
	assert.Equal(t, "effect(7)", model.Effect(7).String())
	_, err := model.Effect(2).MarshalText()
	assert.ErrorIs(t, err, model.ErrValidation)
	f := model.EffectDeny
	assert.Error(t, f.UnmarshalText([]byte("maybe")))
	assert.Equal(t, model.EffectDeny, f, "a refused word leaves the effect unchanged")
}

func TestGrantJSONEffect(t *testing.T) {
	allow := seedGrant()
	b, err := json.Marshal(allow)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "effect", "an allow is exactly the Aitronos object")

	deny := seedGrant()
	deny.Effect = model.EffectDeny
	b, err = json.Marshal(deny)
	require.NoError(t, err)
	var keys map[string]any
	require.NoError(t, json.Unmarshal(b, &keys))
	assert.Equal(t, "deny", keys["effect"])
	var back model.Grant
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, model.EffectDeny, back.Effect)

	require.NoError(t, json.Unmarshal([]byte(`{"access_level":"read","effect":"allow"}`), &back))
	assert.Equal(t, model.EffectAllow, back.Effect)
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"access_level":"read","effect":"never"}`), &back), model.ErrValidation)

	deny.Effect = 9
	_, err = json.Marshal(deny)
	assert.Error(t, err, "a corrupt effect never reaches the wire")
}

func TestValidateGrantEffect(t *testing.T) {
	v := mustValidator()
	in := model.GrantInput{
		Entity:  model.EntityRef{Type: "folder", ID: "f1"},
		Grantee: model.User("ann"),
		Level:   model.LevelRead,
		Effect:  model.EffectDeny,
	}
	require.NoError(t, v.Grant(in, now))
	in.Effect = 2
	err := v.Grant(in, now)
	var me *model.Error
	require.True(t, errors.As(err, &me))
	assert.Equal(t, model.FieldEffect, me.Field)
	assert.ErrorIs(t, err, model.ErrValidation)
}

func FuzzParseEffect(f *testing.F) {
	for _, s := range []string{"allow", "deny", "", "ALLOW", "deny\x00", "effect(2)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := model.ParseEffect(s)
		words := map[string]model.Effect{"allow": 0, "deny": 1}
		want, known := words[s]
		if !known {
			checkRefusal(t, err, model.CodeValidation, model.FieldEffect)
			if e != model.EffectAllow {
				t.Fatalf("refused %q but returned effect %d", s, e)
			}
			return
		}
		if err != nil || e != want || e.String() != s {
			t.Fatalf("ParseEffect(%q) = %v, %v", s, e, err)
		}
	})
}
