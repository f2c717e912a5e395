package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartPrintsTheAccessTable(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))

	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 5 {
			rows[f[0]] = f[1:]
		}
	}
	// Columns: handbook, roadmap, support_kb, helpdesk.
	assert.Equal(t, []string{"admin", "admin", "none", "none"}, rows["alice"], "direct grants")
	assert.Equal(t, []string{"write", "none", "write", "admin"}, rows["carol"], "role inclusion: senior_editor carries editor")
	assert.Equal(t, []string{"read", "write", "read", "read"}, rows["dave"], "nested departments: engineering inside rnd")
	assert.Equal(t, []string{"none", "none", "none", "none"}, rows["mallory"], "unknown user")

	assert.Contains(t, out.String(), "bulk load of 12 grants: 12 created, 0 skipped, 0 failed (HTTP 200)")
	assert.Contains(t, out.String(), "carol can write handbook because carol → senior_editor → editor, granted write.")
	assert.Contains(t, out.String(), "dave can write roadmap because dave → engineering, granted write.")
}

func TestQuickstartShowsAFolderAndADeny(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))

	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 4 {
			rows[f[0]] = f[1:]
		}
	}
	// Columns: the policies folder, leave_policy and salaries inside it.
	assert.Equal(t, []string{"write", "write", "read"}, rows["carol"], "the folder's grant reaches its documents; the deny caps salaries at read")
	assert.Equal(t, []string{"read", "read", "read"}, rows["dave"], "R&D's read on the folder, through nested departments")
	assert.Equal(t, []string{"none", "none", "none"}, rows["mallory"])

	for _, line := range []string{
		"carol can write leave_policy because carol → senior_editor → editor, granted write on policies (leave_policy in policies).",
		"carol can read salaries because carol → senior_editor → editor, granted write on policies (salaries in policies).\n" +
			"  but carol is denied write on salaries: a deny takes its level and every level above it.",
		"dave can read salaries because dave → engineering → rnd, granted read on policies (salaries in policies).",
	} {
		assert.Contains(t, out.String(), line)
	}
}
