package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sample files hold the same organisation in each format: alice in
// finance, finance inside all, carol an auditor; all may read ks_q3, bob may
// write it, auditors read vs_main, and hank administers as_help.
var sampleFormats = []struct {
	name, file string
	args       []string
	hankOrg    string // OpenFGA tuples name no organisation: all go to --org
}{
	{"jsonl", "sample.jsonl", []string{"--format", "jsonl"}, "org_globex"},
	{"csv", "sample.csv", []string{"--format", "csv"}, "org_globex"},
	{"casbin", "sample.casbin.csv", []string{"--format", "casbin"}, "org_globex"},
	{"openfga json", "sample.openfga.json", []string{"--format", "openfga", "--org", "org_acme"}, "org_acme"},
	{"openfga yaml", "sample.openfga.yaml", []string{"--format", "openfga", "--org", "org_acme"}, "org_acme"},
}

func TestImportEachFormat(t *testing.T) {
	for _, f := range sampleFormats {
		t.Run(f.name, func(t *testing.T) {
			dir := dbDir(t)
			args := append([]string{"import", "--data", dir}, f.args...)
			out := ok(t, "", append(args, filepath.Join("testdata", f.file))...)
			assert.Contains(t, out, "grants created 4")
			assert.Contains(t, out, "memberships 3")

			for _, c := range []struct {
				org, user, entity, level string
				want                     int
			}{
				{"org_acme", "usr_alice", "knowledge_slice:ks_q3", "read", 0},
				{"org_acme", "usr_alice", "knowledge_slice:ks_q3", "write", 1},
				{"org_acme", "usr_bob", "knowledge_slice:ks_q3", "write", 0},
				{"org_acme", "usr_bob", "knowledge_slice:ks_q3", "admin", 1},
				{"org_acme", "usr_carol", "vector_store:vs_main", "read", 0},
				{"org_acme", "usr_alice", "vector_store:vs_main", "read", 1},
				{f.hankOrg, "usr_hank", "assistant:as_help", "admin", 0},
				{"org_other", "usr_hank", "assistant:as_help", "read", 1},
			} {
				assert.Equal(t, c.want, check(t, dir, c.org, c.user, c.entity, c.level), "%+v", c)
			}
			s := stats(t, dir)
			assert.Equal(t, 4, s.Grants)
			assert.Equal(t, 3, s.Memberships)
		})
	}
}

func TestImportFromStdin(t *testing.T) {
	dir := dbDir(t)
	in, err := os.ReadFile(filepath.Join("testdata", "sample.jsonl"))
	require.NoError(t, err)
	ok(t, string(in), "import", "--data", dir, "-")
	assert.Equal(t, 4, stats(t, dir).Grants)
}

func TestImportPrintsPlainProgressOffATerminal(t *testing.T) {
	r := grantdb(t, "", "import", "--data", dbDir(t), filepath.Join("testdata", "sample.jsonl"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "import: 7/7 rec (100%)")
	assert.Contains(t, r.stderr, "read: 1174/1174 B (100%)")
	assert.NotContains(t, r.stderr, "\r", "no carriage returns into a pipe")
}

// A malformed file of each format is refused whole, naming its line, in
// every mode; with all-or-nothing, a database that held something before
// holds exactly that after.
func TestImportMalformedInput(t *testing.T) {
	const good = `{"kind":"grant","organization_id":"org_acme","entity_type":"doc","entity_id":"d1","grantee_type":"user","grantee_id":"usr_a","access_level":"read"}`
	for i, c := range []struct {
		name, format, input, want string
		args                      []string
	}{
		{"jsonl cut short", "jsonl", good + "\n" + `{"kind":"grant","organization_id":"org_acme",`, "line 2: not valid JSON", nil},
		{"jsonl unknown field", "jsonl", good + "\n\n" + `{"kind":"grant","acess_level":"read"}`, `line 3: unknown field "acess_level"`, nil},
		{"jsonl bad level", "jsonl", good + "\n" + strings.Replace(good, `"read"`, `"owner"`, 1), "line 2: access_level", nil},
		{"jsonl no kind", "jsonl", `{"organization_id":"org_acme"}`, "line 1: kind is missing", nil},
		{"jsonl invalid grantee", "jsonl", good + "\n" + strings.Replace(good, `"user"`, `"robot"`, 1), "line 2: grantee_type", nil},
		{"jsonl bad membership", "jsonl", `{"kind":"membership","organization_id":"o","member_type":"user","member_id":"u","group_type":"user","group_id":"v"}`, "line 1: group_type", nil},
		{"csv field count", "csv", "organization_id,entity_type,entity_id,grantee_type,grantee_id,access_level\norg_acme,doc,d1,user,usr_a,read\norg_acme,doc,d2,user\n", "line 3: wrong number of fields", nil},
		{"csv bad time", "csv", "organization_id,entity_type,entity_id,grantee_type,grantee_id,access_level,effective_to\norg_acme,doc,d1,user,usr_a,read,\norg_acme,doc,d2,user,usr_a,read,tomorrow\n", "line 3: column effective_to: not an RFC 3339 time", nil},
		{"csv unknown column", "csv", "organization_id,colour\n", `line 1: unknown column "colour"`, nil},
		{"casbin unknown action", "casbin", "p, alice, acme, doc1, read\n# a comment\np, alice, acme, doc2, fly\n", `line 3: action "fly" maps to no grantdb level`, nil},
		{"casbin short line", "casbin", "p, alice, acme, doc1, read\ng, bob\n", "line 2: a g line has 3 fields", nil},
		{"casbin other policy type", "casbin", "p, alice, acme, doc1, read\ng2, doc1, folder1, acme\n", `line 2: policy type "g2" is not supported`, nil},
		{"casbin wildcard", "casbin", "p, alice, acme, *, read\n", "line 1: wildcard", nil},
		{"jsonl bad effect", "jsonl", good + "\n" + strings.Replace(good, `"read"`, `"read","effect":"block"`, 1), "line 2: effect must be one of", nil},
		{"csv bad effect", "csv", "organization_id,entity_type,entity_id,grantee_type,grantee_id,access_level,effect\norg_acme,doc,d1,user,usr_a,read,deny\norg_acme,doc,d2,user,usr_a,read,never\n", "line 3: effect must be one of", nil},
		{"casbin bad effect", "casbin", "p, alice, acme, doc1, read, deny\np, alice, acme, doc2, read, never\n", `line 2: effect "never": want allow or deny`, nil},
		{"openfga parent wildcard", "openfga", "- user: folder:*\n  relation: parent\n  object: doc:1\n", `line 1: parent "folder:*": wildcards are not supported`, []string{"--org", "org_acme"}},
		{"casbin no domain no org", "casbin", "p, alice, doc1, read\n", "line 1: this policy has no domains: give the organisation with --org", nil},
		{"openfga json syntax", "openfga", "[\n  {\"user\": \"user:a\", \"relation\": \"viewer\", \"object\": \"doc:1\"},\n  {\"user\": \"user:b\",, }\n]\n", "line 3", []string{"--org", "org_acme"}},
		{"openfga missing relation", "openfga", "[\n  {\"user\": \"user:a\", \"relation\": \"viewer\", \"object\": \"doc:1\"},\n  {\"user\": \"user:b\", \"object\": \"doc:1\"}\n]\n", "line 3: a tuple needs user, relation and object", []string{"--org", "org_acme"}},
		{"openfga yaml wildcard", "openfga", "- user: user:a\n  relation: viewer\n  object: doc:1\n- user: user:*\n  relation: viewer\n  object: doc:1\n", "line 4: user \"user:*\": wildcards are not supported", []string{"--org", "org_acme"}},
		{"openfga unknown relation", "openfga", "- user: user:a\n  relation: can_fly\n  object: doc:1\n", "line 1: relation: action \"can_fly\"", []string{"--org", "org_acme"}},
	} {
		// Parsing does not depend on the mode: the cases take turns.
		mode := []string{"all-or-nothing", "skip", "upsert"}[i%3]
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := dbDir(t)
			ok(t, sampleLine, "import", "--data", dir, "-")
			args := append([]string{"import", "--data", dir, "--format", c.format, "--mode", mode}, c.args...)
			r := grantdb(t, c.input, append(args, "-")...)
			assert.Equal(t, 2, r.code, mode)
			assert.Contains(t, r.stderr, c.want, mode)
			s := stats(t, dir)
			assert.Equal(t, 1, s.Grants, "%s: nothing imported", mode)
			assert.Equal(t, 1, s.Organizations, mode)
		})
	}
}

// sampleLine is a database's one grant before a refused import.
const sampleLine = `{"kind":"grant","organization_id":"org_before","entity_type":"doc","entity_id":"d0","grantee_type":"user","grantee_id":"usr_z","access_level":"read"}`

func TestImportRefusedFileLeavesNoDirectory(t *testing.T) {
	dir := dbDir(t)
	r := grantdb(t, "{", "import", "--data", dir, "-")
	assert.Equal(t, 2, r.code)
	assert.NoDirExists(t, dir)
}

func TestImportAllOrNothingRefusesDuplicates(t *testing.T) {
	grant := func(org, entity string) string {
		return `{"kind":"grant","organization_id":"` + org + `","entity_type":"doc","entity_id":"` + entity + `","grantee_type":"user","grantee_id":"usr_a","access_level":"read"}`
	}
	membership := `{"kind":"membership","organization_id":"org_a","member_type":"user","member_id":"usr_a","group_type":"role","group_id":"r"}`
	for _, c := range []struct {
		name, file, want string
	}{
		{"of a stored grant", strings.Join([]string{membership, grant("org_a", "d1"), grant("org_b", "d0")}, "\n"), "line 3: user:usr_a already has a grant on doc:d0 in org_b"},
		{"within the file", strings.Join([]string{membership, grant("org_a", "d1"), grant("org_a", "d1")}, "\n"), "line 3: user:usr_a already has a grant on doc:d1 at line 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dbDir(t)
			ok(t, grant("org_b", "d0"), "import", "--data", dir, "-")
			r := grantdb(t, c.file, "import", "--data", dir, "--mode", "all-or-nothing", "-")
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, c.want)
			s := stats(t, dir)
			assert.Equal(t, statsJSON{Organizations: 1, Grants: 1}, s, "nothing of org_a imported")
		})
	}
}

func TestImportModes(t *testing.T) {
	first := `{"kind":"grant","organization_id":"org_a","entity_type":"doc","entity_id":"d1","grantee_type":"user","grantee_id":"usr_a","access_level":"read"}`
	again := strings.Replace(first, `"read"`, `"admin"`, 1) + "\n" +
		strings.Replace(first, `"d1"`, `"d2"`, 1)
	for _, c := range []struct {
		mode, summary string
		admin         int
	}{
		{"skip", "grants created 1, updated 0, skipped 1", 1},
		{"upsert", "grants created 1, updated 1, skipped 0", 0},
	} {
		t.Run(c.mode, func(t *testing.T) {
			dir := dbDir(t)
			ok(t, first, "import", "--data", dir, "-")
			out := ok(t, again, "import", "--data", dir, "--mode", c.mode, "-")
			assert.Contains(t, out, c.summary)
			assert.Equal(t, c.admin, check(t, dir, "org_a", "usr_a", "doc:d1", "admin"))
			assert.Equal(t, 2, stats(t, dir).Grants)
		})
	}
}

func TestImportRefusesASelfLink(t *testing.T) {
	dir := dbDir(t)
	bad := sampleLine + "\n" + `{"kind":"link","organization_id":"org_a","child_type":"doc","child_id":"d1","parent_type":"doc","parent_id":"d1"}`
	r := grantdb(t, bad, "import", "--data", dir, "-")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "line 2: parent_id: doc:d1 cannot be inside itself")
	assert.NoDirExists(t, dir, "nothing imported")
}

func TestImportCasbinWithoutDomainsTakesOrg(t *testing.T) {
	dir := dbDir(t)
	policy := "p, reader, doc1, read\np, alice, doc2, write\ng, bob, reader\n"
	ok(t, policy, "import", "--data", dir, "--format", "casbin", "--org", "org_x", "--entity-type", "document", "-")
	assert.Equal(t, 0, check(t, dir, "org_x", "bob", "document:doc1", "read"))
	assert.Equal(t, 0, check(t, dir, "org_x", "alice", "document:doc2", "read"))
	assert.Equal(t, 1, check(t, dir, "org_x", "alice", "document:doc1", "read"))
}

func TestImportEntityTypesAsTheServiceAllows(t *testing.T) {
	dir := dbDir(t)
	r := grantdb(t, "", "import", "--data", dir, "--entity-types", "knowledge_slice,assistant", filepath.Join("testdata", "sample.jsonl"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "line 7: entity_type must be one of")
	assert.NoDirExists(t, dir)

	ok(t, "", "import", "--data", dir, "--entity-types", "knowledge_slice,assistant,vector_store", filepath.Join("testdata", "sample.jsonl"))
	assert.Equal(t, 4, stats(t, dir).Grants)
}
