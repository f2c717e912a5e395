package main_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
)

// sampleDB is a database holding testdata/sample.jsonl.
func sampleDB(t *testing.T) string {
	t.Helper()
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, filepath.Join("testdata", "sample.jsonl"))
	return dir
}

func TestCheckAnswersWithItsExitStatus(t *testing.T) {
	dir := sampleDB(t)
	r := grantdb(t, "", "check", "--data", dir, "--org", "org_acme", "usr_alice", "knowledge_slice:ks_q3", "read")
	assert.Equal(t, 0, r.code)
	assert.Equal(t, "allowed: user usr_alice, read on knowledge_slice:ks_q3\n", r.stdout)

	r = grantdb(t, "", "check", "--data", dir, "--org", "org_acme", "--json", "usr_alice", "knowledge_slice:ks_q3", "write")
	assert.Equal(t, 1, r.code)
	var v struct {
		Allowed bool   `json:"allowed"`
		Level   string `json:"access_level"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.False(t, v.Allowed)
	assert.Equal(t, "write", v.Level)

	for _, args := range [][]string{
		{"usr_alice", "ks_q3", "read"},                  // no type
		{"usr_alice", "knowledge_slice:ks_q3", "owner"}, // no such level
	} {
		r := grantdb(t, "", append([]string{"check", "--data", dir, "--org", "org_acme"}, args...)...)
		assert.Equal(t, 2, r.code, "%v", args)
	}
}

func TestQueriesNeedOrgWhenThereAreSeveral(t *testing.T) {
	dir := sampleDB(t)
	r := grantdb(t, "", "check", "--data", dir, "usr_hank", "assistant:as_help", "admin")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "the database holds 2 organisations (org_acme, org_globex): say which with --org")

	one := dbDir(t)
	ok(t, sampleLine, "import", "--data", one, "-")
	assert.Equal(t, 0, grantdb(t, "", "check", "--data", one, "usr_z", "doc:d0", "read").code, "the only organisation")
}

func TestExplainShowsEveryPath(t *testing.T) {
	dir := sampleDB(t)
	ok(t, `{"kind":"grant","organization_id":"org_acme","entity_type":"knowledge_slice","entity_id":"ks_q3","grantee_type":"department","grantee_id":"dept_finance","access_level":"read"}`,
		"import", "--data", dir, "-")
	out := ok(t, "", "explain", "--data", dir, "--org", "org_acme", "usr_alice", "knowledge_slice:ks_q3")
	assert.Contains(t, out, "user usr_alice has read on knowledge_slice:ks_q3 in org_acme, through 2 path(s):")
	assert.Contains(t, out, "GRANT")
	assert.Contains(t, out, "user:usr_alice → department:dept_finance → department:dept_all")
	assert.Regexp(t, `user:usr_alice → department:dept_finance +knowledge_slice:ks_q3\n`, out, "a path's chain, then its entities")
	assert.NotContains(t, out, "denied", "no deny, none named")

	var v struct {
		Level string `json:"access_level"`
		Via   []struct {
			Chain []struct{ Type, ID string } `json:"chain"`
			Grant struct {
				ID string `json:"id"`
			} `json:"grant"`
		} `json:"via"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, "", "explain", "--data", dir, "--org", "org_acme", "--json", "usr_alice", "knowledge_slice:ks_q3")), &v))
	assert.Equal(t, "read", v.Level)
	require.Len(t, v.Via, 2)
	assert.NotEmpty(t, v.Via[0].Grant.ID)

	out = ok(t, "", "explain", "--data", dir, "--org", "org_acme", "usr_nobody", "knowledge_slice:ks_q3")
	assert.Equal(t, "user usr_nobody has none on knowledge_slice:ks_q3 in org_acme: no active grant reaches them\n", out)
}

func TestWhoListsUsers(t *testing.T) {
	dir := sampleDB(t)
	out := ok(t, "", "who", "--data", dir, "--org", "org_acme", "knowledge_slice:ks_q3")
	assert.Equal(t, "USER       LEVEL  VIA\nusr_alice  read   department:dept_all\nusr_bob    write  direct\n", out)

	out = ok(t, "", "who", "--data", dir, "--org", "org_acme", "--min", "write", "knowledge_slice:ks_q3")
	assert.Equal(t, "USER     LEVEL  VIA\nusr_bob  write  direct\n", out)

	var v struct {
		Users []struct {
			User  string `json:"user_id"`
			Level string `json:"access_level"`
		} `json:"users"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, "", "who", "--data", dir, "--org", "org_acme", "--json", "knowledge_slice:ks_q3")), &v))
	require.Len(t, v.Users, 2)
	assert.Equal(t, "usr_alice", v.Users[0].User)
}

func TestWhatListsEntities(t *testing.T) {
	dir := sampleDB(t)
	ok(t, `{"kind":"grant","organization_id":"org_acme","entity_type":"vector_store","entity_id":"vs_a","grantee_type":"user","grantee_id":"usr_carol","access_level":"admin"}`,
		"import", "--data", dir, "-")
	out := ok(t, "", "what", "--data", dir, "--org", "org_acme", "usr_carol")
	assert.Equal(t, "ENTITY                LEVEL  VIA\nvector_store:vs_a     admin  direct\nvector_store:vs_main  read   role:role_auditor\n", out)

	out = ok(t, "", "what", "--data", dir, "--org", "org_acme", "--type", "knowledge_slice", "usr_carol")
	assert.Equal(t, "ENTITY  LEVEL  VIA\n", out)

	var v struct {
		Entities []struct {
			Entity struct{ Type, ID string } `json:"entity"`
		} `json:"entities"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, "", "what", "--data", dir, "--org", "org_acme", "--json", "usr_carol")), &v))
	require.Len(t, v.Entities, 2)
}

// A directory a process holds is refused by every command, with a message
// saying what to do, and left alone.
func TestLockedDirectoryIsRefused(t *testing.T) {
	dir := sampleDB(t)
	e, err := engine.Open(engine.WithPath(dir))
	require.NoError(t, err)
	defer e.Close()
	for _, args := range [][]string{
		{"import", "--data", dir, filepath.Join("testdata", "sample.jsonl")},
		{"export", "--data", dir},
		{"check", "--data", dir, "--org", "org_acme", "usr_bob", "knowledge_slice:ks_q3", "read"},
		{"stats", "--data", dir},
		{"snapshot", "--data", dir, filepath.Join(t.TempDir(), "copy")},
		{"verify", "--data", dir},
	} {
		r := grantdb(t, "", args...)
		assert.Equal(t, 2, r.code, "%v", args)
		assert.Contains(t, r.stderr, "is locked: a process (the service?) has it open", "%v", args)
	}
}
