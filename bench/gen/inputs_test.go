package gen_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

func TestBatchInputs(t *testing.T) {
	items := gen.BatchInputs(1234)
	require.Len(t, items, 1234)
	assert.Equal(t, items, gen.BatchInputs(1234), "the same for the same n")

	v, err := model.NewValidator()
	require.NoError(t, err)
	type key struct {
		e model.EntityRef
		s model.Subject
	}
	seen := map[key]bool{}
	perDoc := map[model.EntityRef]int{}
	for _, in := range items {
		require.NoError(t, v.Grant(in, time.Now()))
		k := key{in.Entity, in.Grantee}
		assert.False(t, seen[k], "no key repeats: %v", k)
		seen[k] = true
		perDoc[in.Entity]++
	}
	assert.Len(t, perDoc, 124, "10 per document")
}
