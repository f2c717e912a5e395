package main_test

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// importedSample is a directory holding testdata/sample.jsonl.
func importedSample(t *testing.T) string {
	t.Helper()
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, filepath.Join("testdata", "sample.jsonl"))
	return dir
}

var passAfter = regexp.MustCompile(`pass --after (\d+)`)

// A freshly opened directory's feed holds nothing before the revision it
// opened at: changes says so and names where to start, and from there
// prints what the feed holds (nothing yet), as a table or as JSON Lines.
func TestChangesOfAnOpenedDirectory(t *testing.T) {
	dir := importedSample(t)
	r := grantdb(t, "", "changes", "--data", dir, "--org", "org_acme")
	require.Equal(t, 2, r.code, "stdout: %s", r.stdout)
	assert.Contains(t, r.stderr, "the feed of org_acme after revision 0 is not held")
	m := passAfter.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "stderr: %s", r.stderr)

	assert.Empty(t, ok(t, "", "changes", "--data", dir, "--org", "org_acme", "--after", m[1]))
	assert.Empty(t, ok(t, "", "changes", "--data", dir, "--org", "org_acme", "--after", m[1], "--json"))

	r = grantdb(t, "", "changes", "--data", dir)
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

	r := grantdb(t, "", "watch", "--data", dir, "--org", "org_acme", "--after", "0")
	assert.Equal(t, 2, r.code)
	assert.Regexp(t, passAfter, r.stderr)
}
