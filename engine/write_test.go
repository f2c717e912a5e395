package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// TestWriteValidatesOrg: the write path itself refuses a bad org, before it
// runs fill, so that a write method cannot forget to check it.
func TestWriteValidatesOrg(t *testing.T) {
	e, err := Open()
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	for _, org := range []string{"", "a\x00b", strings.Repeat("o", model.MaxIDLen+1)} {
		ran := false
		_, err := e.write(context.Background(), org, func(*store.WriteTxn) error { ran = true; return nil })
		assert.True(t, errors.Is(err, model.ErrValidation), "org %q: %v", org, err)
		assert.False(t, ran, "org %q: fill ran", org)
	}
	ran := false
	_, err = e.write(context.Background(), "org1", func(*store.WriteTxn) error { ran = true; return nil })
	require.NoError(t, err)
	assert.True(t, ran)
}

func TestWriteRefusesAfterCloseAndCancel(t *testing.T) {
	e, err := Open()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.write(ctx, "org1", func(*store.WriteTxn) error { t.Fatal("fill ran"); return nil })
	assert.ErrorIs(t, err, context.Canceled)
	require.NoError(t, e.Close())
	_, err = e.write(context.Background(), "org1", func(*store.WriteTxn) error { t.Fatal("fill ran"); return nil })
	assert.ErrorIs(t, err, model.ErrClosed)
}
