package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// A commit whose index was derived early, before its fill wrote more,
// publishes the index of all it wrote (the index is derived again), and an
// index derived early for a fill that fails is never published. Sizes on
// both sides of the bound of deriving on another goroutine.
func TestIndexDerivedEarlyCoversTheWholeCommit(t *testing.T) {
	ctx := context.Background()
	inputs := func(user string, n int) []model.GrantInput {
		in := make([]model.GrantInput, n)
		for i := range in {
			in[i] = model.GrantInput{Entity: model.EntityRef{Type: "document", ID: fmt.Sprintf("doc_%05d", i)},
				Grantee: model.User(user), Level: model.LevelRead}
		}
		return in
	}
	for _, n := range []int{3, 1500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e, err := engine.Open()
			require.NoError(t, err)
			defer e.Close()
			doc := model.EntityRef{Type: "document", ID: "doc_00001"}

			failed := errors.New("fill failed")
			err = engine.CommitDerivingEarly(ctx, e, "org_a", inputs("usr_carol", n), nil, failed)
			require.ErrorIs(t, err, failed)
			ok, err := e.Check(ctx, "org_a", "usr_carol", doc, model.LevelRead)
			require.NoError(t, err)
			assert.False(t, ok, "nothing of a failed fill is published")

			require.NoError(t, engine.CommitDerivingEarly(ctx, e, "org_a", inputs("usr_alice", n), inputs("usr_bob", n), nil))
			for _, user := range []string{"usr_alice", "usr_bob"} {
				ok, err := e.Check(ctx, "org_a", user, doc, model.LevelRead)
				require.NoError(t, err)
				assert.True(t, ok, user)
			}
		})
	}
}
