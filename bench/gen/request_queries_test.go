package gen_test

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
)

// AsRequests keeps every query as it was, and lays each query's strings
// right after the previous query's.
func TestAsRequestsCopiesQueriesIntoOneBuffer(t *testing.T) {
	qs := gen.Generate(1, gen.Small).Queries(100)
	got := gen.AsRequests(qs)
	require.Equal(t, qs, got, "the same queries, field by field")

	end := unsafe.StringData(got[0].User)
	for i, q := range got {
		for _, s := range []string{q.User, q.Entity.Type, q.Entity.ID} {
			if s == "" {
				continue
			}
			assert.Equal(t, end, unsafe.StringData(s), "query %d: each string follows the one before", i)
			end = (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), len(s)))
		}
	}
	assert.Empty(t, gen.AsRequests(nil))
}
