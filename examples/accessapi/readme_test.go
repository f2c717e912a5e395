package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeCurlsWork runs the README's curl calls, as written, against the
// built service started with the README's keys: each must answer 2xx (curl
// -f fails the script otherwise).
func TestReadmeCurlsWork(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's calls need %s, which is not installed", tool)
		}
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(blocks), 2, "the README has the serve block and the calls block")
	calls := blocks[1][1]
	require.Contains(t, calls, "B=http://127.0.0.1:8080")
	for _, route := range []string{"/grants/bulk", "/resolved-access", "/users?", "/groups/", "/parents/", `"effect": "deny"`, "/api/access-grants/bulk", "/api/v1/assignments/bulk-create", "/jobsteps", "/changes"} {
		require.Contains(t, calls, route, "one call per route family")
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "accessapi")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	keys := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-1": "org_xyz789", "key-2": "tenant1/ns1"}`), 0o600))
	p := startService(t, bin, "-keys", keys)

	script := "set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 30 \"$@\"; echo; }\n" +
		strings.Replace(calls, "B=http://127.0.0.1:8080", "B="+p.base, 1)
	cmd := exec.Command("bash", "-c", script)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "a README call failed:\n%s", out)
	p.stop(t)
}
