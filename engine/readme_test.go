package engine_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeIsExample: the README's usage program is a whole file (package,
// imports, main) whose imports and main body are those of Example, so that
// the README shows code that compiles and runs.
func TestReadmeIsExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```go\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README has a go block")

	fset := token.NewFileSet()
	prog, err := parser.ParseFile(fset, "README.md", block[1], parser.ParseComments)
	require.NoError(t, err, "the README's first go block is a whole Go file")
	assert.Equal(t, "main", prog.Name.Name)
	exampleSrc, err := os.ReadFile("readme_example_test.go")
	require.NoError(t, err)
	example, err := parser.ParseFile(fset, "readme_example_test.go", exampleSrc, parser.ParseComments)
	require.NoError(t, err)

	assert.Equal(t, imports(prog), imports(example))
	main := funcBody(t, fset, prog, block[1], "main")
	ex := funcBody(t, fset, example, exampleSrc, "Example")
	ex = regexp.MustCompile(`(?m)^\s*// Output:.*\n`).ReplaceAllString(ex, "")
	assert.Equal(t, normalise(main), normalise(ex))
}

func imports(f *ast.File) []string {
	var out []string
	for _, im := range f.Imports {
		out = append(out, im.Path.Value)
	}
	return out
}

// funcBody is the source between the braces of function name in f, parsed
// from src.
func funcBody(t *testing.T, fset *token.FileSet, f *ast.File, src []byte, name string) string {
	t.Helper()
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			from, to := fset.Position(fn.Body.Lbrace).Offset, fset.Position(fn.Body.Rbrace).Offset
			return string(src[from+1 : to])
		}
	}
	t.Fatalf("no func %s", name)
	return ""
}

// normalise trims each line and drops blank ones.
func normalise(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
