package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binary is the grantdb command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "grantdb-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "grantdb")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build grantdb:", err)
		return 2
	}
	return m.Run()
}

// result is what one run of the command did.
type result struct {
	stdout, stderr string
	code           int
}

// grantdb runs the command with args and stdin, and returns what it did.
func grantdb(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// ok runs the command and requires it to succeed, returning its stdout.
func ok(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := grantdb(t, stdin, args...)
	require.Equal(t, 0, r.code, "grantdb %s:\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// dbDir is a path for a new database directory.
func dbDir(t *testing.T) string { return filepath.Join(t.TempDir(), "db") }

// stats returns the database's stats as JSON.
type statsJSON struct {
	Organizations int `json:"organizations"`
	Grants        int `json:"grants"`
	Memberships   int `json:"memberships"`
	Links         int `json:"links"`
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func stats(t *testing.T, dir string) statsJSON {
	t.Helper()
	var s statsJSON
	require.NoError(t, json.Unmarshal([]byte(ok(t, "", "stats", "--data", dir, "--json")), &s))
	return s
}

// check returns check's exit status: 0 allowed, 1 denied.
func check(t *testing.T, dir, org, user, entity, level string) int {
	t.Helper()
	r := grantdb(t, "", "check", "--data", dir, "--org", org, user, entity, level)
	require.Contains(t, []int{0, 1}, r.code, "check: %s", r.stderr)
	return r.code
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--data", t.TempDir(), "usr_a"},
		{"nosuchcommand"},
		{"import", "--data", dbDir(t), "--format", "yaml", "-"},
		{"import", "--data", dbDir(t), "--mode", "sometimes", "-"},
		{"export", "--format", "jsonl"},
	} {
		r := grantdb(t, "", args...)
		assert.Equal(t, 2, r.code, "%v", args)
		assert.NotEmpty(t, r.stderr, "%v", args)
	}
}
