package store_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStateKnowsNoFileFormat checks the layering the folders promise: store
// (the state) depends on no package of the file format, nor on buntdb, and
// store/disk (the format) uses no memdb type, only store's API.
func TestStateKnowsNoFileFormat(t *testing.T) {
	const module = "github.com/grantdb/grantdb/"
	deps := map[string]bool{}
	var walk func(dir string)
	walk = func(dir string) {
		pkg, err := build.ImportDir(dir, 0)
		require.NoError(t, err)
		for _, imp := range pkg.Imports {
			if deps[imp] {
				continue
			}
			deps[imp] = true
			if rel, ok := strings.CutPrefix(imp, module); ok {
				walk(filepath.Join("..", rel))
			}
		}
	}
	walk(".")
	for dep := range deps {
		assert.NotContains(t, dep, "store/disk", "store depends on the file format")
		assert.NotContains(t, dep, "buntdb", "store depends on buntdb")
	}
	assert.True(t, deps["github.com/hashicorp/go-memdb"], "the walk sees store's own imports")

	disk, err := build.ImportDir("disk", 0)
	require.NoError(t, err)
	for _, imp := range disk.Imports {
		assert.NotContains(t, imp, "memdb", "store/disk imports memdb")
	}
	assert.Contains(t, disk.Imports, "github.com/grantdb/grantdb/store")
}
