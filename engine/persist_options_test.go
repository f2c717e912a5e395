package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/store/disk"
)

// The documented defaults are the ones in force (badger's drifted).
func TestPersistOptionDocsMatchDefaults(t *testing.T) {
	c := defaultConfig().persist
	assert.Equal(t, DefaultCheckpointRecords, c.ckptRecords)
	assert.Equal(t, DefaultCheckpointBytes, c.ckptBytes)
	assert.Equal(t, SyncAlways, c.sync)
	assert.Equal(t, SyncAlways, SyncPolicy(0), "the zero policy is the default")
	assert.Equal(t, disk.SyncAlways, disk.Options{}.Sync, "the disk package's default agrees")
	assert.Empty(t, c.path, "in memory unless WithPath")
	assert.Nil(t, c.logger)

	ckpt := optionDoc(t, "WithCheckpointEvery")
	assert.Contains(t, ckpt, fmt.Sprintf("Default: %d commits (DefaultCheckpointRecords)", DefaultCheckpointRecords))
	require.Zero(t, DefaultCheckpointBytes%(1<<20))
	assert.Contains(t, ckpt, fmt.Sprintf("or %d MiB (DefaultCheckpointBytes)", DefaultCheckpointBytes>>20))
	assert.Contains(t, optionDoc(t, "WithSync"), "Default: "+c.sync.String())
	assert.Contains(t, optionDoc(t, "WithPath"), "Default: no path, everything in memory")
	assert.Contains(t, optionDoc(t, "WithLogger"), "Default: slog.Default()")
	assert.False(t, c.cutTail)
	assert.Contains(t, optionDoc(t, "WithCutCorruptTail"), "Default: off")
}
