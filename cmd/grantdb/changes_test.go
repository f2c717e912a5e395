package main_test

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// importedSample is a directory holding testdata/sample.jsonl.
func importedSample(t *testing.T) string {
	t.Helper()
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, filepath.Join("testdata", "sample.jsonl"))
	return dir
}

// The feed is durable: a directory just opened serves the commits its
// journal holds, as a table or as JSON Lines, and nothing after the last.
func TestChangesOfAnOpenedDirectory(t *testing.T) {
	dir := importedSample(t)
	table := ok(t, "", "changes", "--data", dir, "--org", "org_acme")
	assert.Contains(t, table, "write  grant")
	assert.Contains(t, table, "user:usr_bob write on knowledge_slice:ks_q3")

	lines := strings.Split(strings.TrimSpace(ok(t, "", "changes", "--data", dir, "--org", "org_acme", "--json")), "\n")
	require.NotEmpty(t, lines)
	var last model.Change
	for _, l := range lines {
		require.NoError(t, json.Unmarshal([]byte(l), &last), l)
		assert.NotZero(t, last.Revision)
	}
	after := strconv.FormatUint(last.Revision, 10)
	assert.Empty(t, ok(t, "", "changes", "--data", dir, "--org", "org_acme", "--after", after))
	assert.Empty(t, ok(t, "", "changes", "--data", dir, "--org", "org_acme", "--after", after, "--json"))

	r := grantdb(t, "", "changes", "--data", dir)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "say which with --org")
}

// watch starts at the directory's revision, runs until interrupted, and then
// exits 0.
func TestWatchRunsUntilInterrupted(t *testing.T) {
	dir := importedSample(t)
	cmd := exec.Command(binary, "watch", "--data", dir, "--org", "org_acme")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stderr).ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "watching org_acme after revision "), "stderr: %s", line)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.NoError(t, cmd.Wait())

	// From revision 0 it first prints what the journal holds, then follows.
	cmd = exec.Command(binary, "watch", "--data", dir, "--org", "org_acme", "--after", "0", "--json")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err = bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	var first model.Change
	require.NoError(t, json.Unmarshal([]byte(line), &first), line)
	assert.NotZero(t, first.Revision)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.NoError(t, cmd.Wait())
}
