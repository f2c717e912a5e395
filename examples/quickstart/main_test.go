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
