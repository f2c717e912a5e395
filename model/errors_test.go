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
	withField := model.NewError(model.CodeValidation, model.FieldEntityID, "entity_id must be at most %d bytes", 256)
	assert.Equal(t, "entity_id: entity_id must be at most 256 bytes", withField.Error())

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
