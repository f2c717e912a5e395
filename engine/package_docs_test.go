package engine_test

import (
	"go/ast"
	godoc "go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packageDoc is the package comment of the package in dir, as go doc reads
// it (every non-test file).
func packageDoc(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, ent := range entries {
		n := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments|parser.PackageClauseOnly)
		require.NoError(t, err)
		files = append(files, f)
	}
	pkg, err := godoc.NewFromFiles(fset, files, "github.com/grantdb/grantdb/"+filepath.Base(dir))
	require.NoError(t, err)
	return strings.Join(strings.Fields(pkg.Doc), " ")
}

// Each lower package says who it is for: engine uses it, applications use
// engine and model.
func TestLowerPackagesSayWhoUsesThem(t *testing.T) {
	for _, dir := range []string{"../model", "../resolve", "../bulk"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			d := packageDoc(t, dir)
			assert.Contains(t, d, "Applications use engine and model")
			assert.Contains(t, d, "is used by engine")
		})
	}
}
