package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/store/disk"
)

// docOf returns the doc comment of the function name in file.
func docOf(t *testing.T, file, name string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	require.NoError(t, err)
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			return strings.Join(strings.Fields(fn.Doc.Text()), " ")
		}
	}
	t.Fatalf("%s has no func %s", file, name)
	return ""
}

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

	ckpt := docOf(t, "persist.go", "WithCheckpointEvery")
	assert.Contains(t, ckpt, fmt.Sprintf("Default: %d commits (DefaultCheckpointRecords)", DefaultCheckpointRecords))
	require.Zero(t, DefaultCheckpointBytes%(1<<20))
	assert.Contains(t, ckpt, fmt.Sprintf("or %d MiB (DefaultCheckpointBytes)", DefaultCheckpointBytes>>20))
	assert.Contains(t, docOf(t, "persist.go", "WithSync"), "Default: "+c.sync.String())
	assert.Contains(t, docOf(t, "persist.go", "WithPath"), "Default: no path, everything in memory")
	assert.Contains(t, docOf(t, "persist.go", "WithLogger"), "Default: slog.Default()")
	assert.False(t, c.cutTail)
	assert.Contains(t, docOf(t, "persist.go", "WithCutCorruptTail"), "Default: off")
}
