package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// A write names the row it replaced under its key, through PutGrant and
// PutGrants alike, so that a consumer keyed by id can drop a replaced id.
func TestGrantChangeReplaced(t *testing.T) {
	for _, name := range []string{"PutGrant", "PutGrants"} {
		t.Run(name, func(t *testing.T) {
			s := newTestStore(t)
			commit := func(g model.Grant) *model.Grant {
				if name == "PutGrants" {
					cs := putSorted(t, s, g)
					require.Len(t, cs.Grants, 1)
					return cs.Grants[0].Replaced
				}
				cs := commitGrants(t, s, g)
				require.Len(t, cs.Grants, 1)
				return cs.Grants[0].Replaced
			}
			first := batchGrant("org_1", "d1", "u1", "agrant_1")
			assert.Nil(t, commit(first), "a free key replaces nothing")

			second := batchGrant("org_1", "d1", "u1", "agrant_2")
			replaced := commit(second)
			require.NotNil(t, replaced)
			assert.Equal(t, first, *replaced)
		})
	}
}
