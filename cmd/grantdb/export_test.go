package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withoutIDs drops what the importing engine assigns anew — grant ids and
// timestamps — from JSON Lines export output.
func withoutIDs(t *testing.T, export string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(export), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		delete(rec, "id")
		delete(rec, "created_at")
		delete(rec, "updated_at")
		out = append(out, rec)
	}
	return out
}

// roundTripSample is the sample with a window and granted_by, which must
// survive the trip too.
const roundTripExtra = `{"kind":"grant","organization_id":"org_globex","entity_type":"assistant","entity_id":"as_x","grantee_type":"department","grantee_id":"dept_ops","access_level":"write","granted_by":"usr_root","effective_from":"2020-01-01T00:00:00Z","effective_to":"2098-06-30T12:00:00.5Z"}`

func TestExportImportRoundTrips(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "sample.jsonl"))
	require.NoError(t, err)
	src := dbDir(t)
	ok(t, string(sample)+roundTripExtra+"\n", "import", "--data", src, "-")
	want := ok(t, "", "export", "--data", src)
	require.Len(t, strings.Split(strings.TrimSpace(want), "\n"), 8)

	for _, format := range []string{"jsonl", "csv"} {
		t.Run(format, func(t *testing.T) {
			exported := ok(t, "", "export", "--data", src, "--format", format)
			dst := dbDir(t)
			ok(t, exported, "import", "--data", dst, "--format", format, "-")
			assert.Equal(t, withoutIDs(t, want), withoutIDs(t, ok(t, "", "export", "--data", dst)))
		})
	}
}

func TestExportOneOrgToAFile(t *testing.T) {
	src := dbDir(t)
	ok(t, "", "import", "--data", src, filepath.Join("testdata", "sample.jsonl"))
	out := filepath.Join(t.TempDir(), "globex.csv")
	assert.Empty(t, ok(t, "", "export", "--data", src, "--org", "org_globex", "--format", "csv", "--out", out))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "kind,organization_id,id,entity_type"))
	assert.True(t, strings.HasPrefix(lines[1], "grant,org_globex,agrant_"))
	assert.Contains(t, lines[1], ",assistant,as_help,user,usr_hank,admin,")
}

func TestReadCommandsRefuseAMissingDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing")
	for _, args := range [][]string{
		{"export", "--data", missing},
		{"stats", "--data", missing},
		{"check", "--data", missing, "u", "doc:1", "read"},
		{"snapshot", "--data", missing, filepath.Join(t.TempDir(), "copy")},
		{"verify", "--data", missing},
	} {
		r := grantdb(t, "", args...)
		assert.Equal(t, 2, r.code, "%v", args)
		assert.Contains(t, r.stderr, "nothing", "%v", args)
		assert.NoDirExists(t, missing, "%v", args)
	}

	empty := t.TempDir()
	r := grantdb(t, "", "stats", "--data", empty)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no database at "+empty+": it holds no snapshot or journal")
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	assert.Empty(t, entries, "a read leaves an empty directory empty")
}

func TestExportThatFailsLeavesNoFile(t *testing.T) {
	src := dbDir(t)
	ok(t, "", "import", "--data", src, filepath.Join("testdata", "sample.jsonl"))
	outDir := t.TempDir()
	r := grantdb(t, "", "export", "--data", src, "--org", "bad\x01org", "--out", filepath.Join(outDir, "x.jsonl"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "organization_id")
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no file, no temporary left behind")
}
