package engine

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// optionDoc returns the doc comment of the package's function name, with
// its whitespace collapsed. It reads the package the way go doc does (every
// non-test file of the directory), so a function may move between files.
func optionDoc(t *testing.T, name string) string {
	t.Helper()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, ent := range entries {
		n := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/grantdb/grantdb/engine")
	require.NoError(t, err)
	funcs := pkg.Funcs
	for _, typ := range pkg.Types {
		funcs = append(funcs, typ.Funcs...)
	}
	for _, fn := range funcs {
		if fn.Name == name {
			return strings.Join(strings.Fields(fn.Doc), " ")
		}
	}
	t.Fatalf("package engine has no func %s", name)
	return ""
}
