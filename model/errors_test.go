package model_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sentinels = map[string]error{
	model.CodeValidation: model.ErrValidation,
	model.CodeNotFound:   model.ErrNotFound,
	model.CodeDuplicate:  model.ErrDuplicate,
	model.CodeConflict:   model.ErrConflict,
	model.CodeClosed:     model.ErrClosed,
	model.CodeCompacted:  model.ErrCompacted,
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		field, msg, want string
	}{
		{model.FieldEntityID, "entity_id must be at most 256 bytes", "entity_id must be at most 256 bytes"},
		{model.FieldEntityType, "entity_type must be one of {'doc'}", "entity_type must be one of {'doc'}"},
		{model.FieldUserID, "user_id is required", "user_id is required"},
		// A message that does not start with the field gets it in front.
		{model.FieldCursor, "is not one this engine returned", "cursor: is not one this engine returned"},
		// A longer word that starts like the field is not the field.
		{model.FieldLimit, "limitless is not a number", "limit: limitless is not a number"},
	}
	for _, c := range cases {
		err := model.NewError(model.CodeValidation, c.field, "%s", c.msg)
		assert.Equal(t, c.want, err.Error())
		assert.Equal(t, c.msg, err.Message, "the message is the seeds' text, untouched")
	}

	noField := model.NewError(model.CodeNotFound, "", "grant %s not found", "agrant_1")
	assert.Equal(t, "grant agrant_1 not found", noField.Error())

	assert.Equal(t, "engine is closed", model.ErrClosed.Error())
}

// Each code matches its own sentinel and no other, whatever the message and
// field, directly and through %w wrapping.
func TestErrorIsMatchesItsSentinelOnly(t *testing.T) {
	for code := range sentinels {
		t.Run(code, func(t *testing.T) {
			err := model.NewError(code, model.FieldGrantID, "something about %q", "x")
			wrapped := fmt.Errorf("engine: create grant: %w", err)
			twice := fmt.Errorf("outer: %w", wrapped)
			for otherCode, sentinel := range sentinels {
				want := otherCode == code
				assert.Equal(t, want, errors.Is(err, sentinel), "errors.Is(%s, %s)", code, otherCode)
				assert.Equal(t, want, errors.Is(wrapped, sentinel), "wrapped %s vs %s", code, otherCode)
				assert.Equal(t, want, errors.Is(twice, sentinel), "wrapped twice %s vs %s", code, otherCode)
			}

			var me *model.Error
			require.ErrorAs(t, twice, &me)
			assert.Same(t, err, me)
			assert.Equal(t, code, me.Code)
			assert.Equal(t, model.FieldGrantID, me.Field)
		})
	}
}

func TestErrorSentinelsAreDistinct(t *testing.T) {
	for code, s := range sentinels {
		var me *model.Error
		require.ErrorAs(t, s, &me)
		assert.Equal(t, code, me.Code)
		assert.ErrorIs(t, s, s)
	}
}

func TestErrorUnknownCodeMatchesNothing(t *testing.T) {
	err := model.NewError("TEAPOT", "", "short and stout")
	for _, s := range sentinels {
		assert.NotErrorIs(t, err, s)
	}
}

func TestErrorIsNotFooledByLookalikes(t *testing.T) {
	// Only the sentinel values match; an equal-looking *Error is not one.
	lookalike := &model.Error{Code: model.CodeNotFound, Message: "not found"}
	err := model.NewError(model.CodeNotFound, "", "not found")
	assert.NotErrorIs(t, err, lookalike)
	assert.NotErrorIs(t, errors.New("not found"), model.ErrNotFound)
}
