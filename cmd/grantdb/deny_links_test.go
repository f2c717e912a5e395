package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each format's denies and links reach the database: bob administers the
// plans folder but, a contractor, is denied write, so he reads the roadmap
// inside it (Casbin: no link, the grants sit on the roadmap; OpenFGA: no
// deny, contractors edit the folder).
func TestImportDeniesAndLinksEachFormat(t *testing.T) {
	for _, c := range []struct {
		name, file string
		args       []string
		links      int
		levels     map[string]int // level: check's exit status for bob on the roadmap
	}{
		{"jsonl", "sample_deny_links.jsonl", nil, 1, map[string]int{"read": 0, "write": 1, "admin": 1}},
		{"csv", "sample_deny_links.csv", []string{"--format", "csv"}, 1, map[string]int{"read": 0, "write": 1, "admin": 1}},
		{"casbin", "sample_deny_links.casbin.csv", []string{"--format", "casbin"}, 0, map[string]int{"read": 0, "write": 1, "admin": 1}},
		{"openfga", "sample_deny_links.openfga.yaml", []string{"--format", "openfga", "--org", "org_acme"}, 1, map[string]int{"read": 0, "write": 0, "admin": 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dbDir(t)
			args := append([]string{"import", "--data", dir}, c.args...)
			ok(t, "", append(args, filepath.Join("testdata", c.file))...)
			for level, want := range c.levels {
				assert.Equal(t, want, check(t, dir, "org_acme", "usr_bob", "document:roadmap", level), level)
			}
			assert.Equal(t, c.links, stats(t, dir).Links)
		})
	}
}

// explain's tables from a real run are testdata/explain_deny.golden, which
// README.md shows.
func TestExplainNamesTheDenyThatWonAndTheEntities(t *testing.T) {
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, filepath.Join("testdata", "sample_deny_links.jsonl"))
	want, err := os.ReadFile(filepath.Join("testdata", "explain_deny.golden"))
	require.NoError(t, err)
	out := ok(t, "", "explain", "--data", dir, "usr_bob", "document:roadmap")
	assert.Equal(t, string(want), regexp.MustCompile(`agrant_[0-9a-z]{20}`).ReplaceAllString(out, "agrant_xxxxxxxxxxxxxxxxxxxx"))

	var v struct {
		Level  string `json:"access_level"`
		Denied []struct {
			Entities []struct{ Type, ID string } `json:"entities"`
			Grant    struct {
				Effect string `json:"effect"`
			} `json:"grant"`
		} `json:"denied"`
	}
	require.NoError(t, jsonUnmarshal(ok(t, "", "explain", "--data", dir, "--json", "usr_bob", "document:roadmap"), &v))
	assert.Equal(t, "read", v.Level)
	require.Len(t, v.Denied, 1)
	assert.Equal(t, "deny", v.Denied[0].Grant.Effect)
	assert.Len(t, v.Denied[0].Entities, 2, "the roadmap, then its folder")
}

func TestExportImportRoundTripsDeniesAndLinks(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "sample.jsonl"))
	require.NoError(t, err)
	extra, err := os.ReadFile(filepath.Join("testdata", "sample_deny_links.jsonl"))
	require.NoError(t, err)
	src := dbDir(t)
	ok(t, string(sample)+string(extra)+roundTripExtra+"\n", "import", "--data", src, "-")
	want := ok(t, "", "export", "--data", src)
	require.Contains(t, want, `"kind":"link"`)
	require.Contains(t, want, `"effect":"deny"`)

	for _, format := range []string{"jsonl", "csv"} {
		t.Run(format, func(t *testing.T) {
			exported := ok(t, "", "export", "--data", src, "--format", format)
			dst := dbDir(t)
			ok(t, exported, "import", "--data", dst, "--format", format, "-")
			assert.Equal(t, withoutIDs(t, want), withoutIDs(t, ok(t, "", "export", "--data", dst)))
		})
	}
}

// A link that would close a cycle with stored links is refused by the
// engine before any membership or grant of the file is written.
func TestImportLinkClosingACycleIsRefused(t *testing.T) {
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, filepath.Join("testdata", "sample_deny_links.jsonl"))
	file := strings.Join([]string{
		`{"kind":"grant","organization_id":"org_acme","entity_type":"doc","entity_id":"new","grantee_type":"user","grantee_id":"usr_new","access_level":"read"}`,
		`{"kind":"link","organization_id":"org_acme","child_type":"folder","child_id":"plans","parent_type":"document","parent_id":"roadmap"}`,
	}, "\n")
	r := grantdb(t, file, "import", "--data", dir, "--mode", "all-or-nothing", "-")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "would close a cycle")
	s := stats(t, dir)
	assert.Equal(t, 2, s.Grants, "nothing of the file written")
	assert.Equal(t, 1, s.Links)
}
