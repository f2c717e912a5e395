package bulk_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

func TestModeText(t *testing.T) {
	for m, word := range map[bulk.Mode]string{
		bulk.SkipDuplicates: "skip_duplicates", bulk.AllOrNothing: "all_or_nothing", bulk.Upsert: "upsert",
	} {
		assert.Equal(t, word, m.String())
		b, err := json.Marshal(m)
		require.NoError(t, err)
		assert.Equal(t, `"`+word+`"`, string(b))
		var back bulk.Mode
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, m, back)
	}
	assert.Equal(t, "Mode(7)", bulk.Mode(7).String())
	assert.Equal(t, "Mode(-1)", bulk.Mode(-1).String())
	_, err := json.Marshal(bulk.Mode(7))
	assert.ErrorIs(t, err, model.ErrValidation)

	back := bulk.Upsert
	err = back.UnmarshalText([]byte("Upsert"))
	assert.ErrorIs(t, err, model.ErrValidation, "words are exact")
	assert.Equal(t, bulk.Upsert, back, "a refused word leaves the mode alone")
}

func TestStepFilterText(t *testing.T) {
	for f, word := range map[bulk.StepFilter]string{
		bulk.FilterAll: "all", bulk.FilterSuccess: "success", bulk.FilterFailure: "failure",
	} {
		assert.Equal(t, word, f.String())
		b, err := f.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, word, string(b))
		var back bulk.StepFilter
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, f, back)
	}
	assert.Equal(t, "StepFilter(3)", bulk.StepFilter(3).String())
	_, err := bulk.StepFilter(3).MarshalText()
	assert.ErrorIs(t, err, model.ErrValidation)
	back := bulk.FilterFailure
	var me *model.Error
	require.ErrorAs(t, back.UnmarshalText([]byte("2")), &me)
	assert.Equal(t, "filter", me.Field)
	assert.Equal(t, bulk.FilterFailure, back)

	// In a struct, as a map key: the word.
	b, err := json.Marshal(map[bulk.StepFilter]int{bulk.FilterSuccess: 1})
	require.NoError(t, err)
	assert.Equal(t, `{"success":1}`, string(b))
}
