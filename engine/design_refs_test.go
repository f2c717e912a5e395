package engine_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommentsCiteTheRepo: the repo makes sense without anything beside it.
// No Go file cites a design document outside it, and every section of
// docs/design.md a Go file cites exists.
func TestCommentsCiteTheRepo(t *testing.T) {
	design, err := os.ReadFile("../docs/design.md")
	require.NoError(t, err)
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{2,3} (\d+(?:\.\d+)?)\.? `).FindAllStringSubmatch(string(design), -1) {
		sections[m[1]] = true
	}
	require.NotEmpty(t, sections)

	outside := regexp.MustCompile(`DESIGN(\.md| ?§)|\.\./shared|shared/DESIGN`)
	cites := regexp.MustCompile(`docs/design\.md(?:'s)? §(\d+(?:\.\d+)?)`)
	cited := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, "../"))
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel != "engine/design_refs_test.go" {
			assert.False(t, outside.Match(b), "%s cites a design document outside the repo", rel)
		}
		for _, m := range cites.FindAllSubmatch(b, -1) {
			cited++
			assert.True(t, sections[string(m[1])], "%s cites docs/design.md §%s, which has no such section", rel, m[1])
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotZero(t, cited, "the code cites the design")
}
