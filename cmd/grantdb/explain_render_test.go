package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// grantIDs matches the ids the engine assigns, which differ on every run.
var grantIDs = regexp.MustCompile(`agrant_[0-9a-z]+`)

// maskIDs replaces the characters of each grant id after agrant_ with x,
// keeping the tables' columns aligned.
func maskIDs(s string) string {
	return grantIDs.ReplaceAllStringFunc(s, func(id string) string {
		return "agrant_" + strings.Repeat("x", len(id)-len("agrant_"))
	})
}

// explain's tables name the deny that won and the chain of entities of each
// path; testdata/explain_deny.golden is their text, which README.md shows and
// the binary's test (once the disk format keeps denies) compares with.
func TestExplainWritesDenyAndEntityChains(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open()
	require.NoError(t, err)
	defer e.Close()
	f, err := os.Open(filepath.Join("testdata", "sample_deny_links.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := parseJSONLines(f, parseOptions{})
	require.NoError(t, err)
	require.NoError(t, validate(recs, nil, time.Now()))
	for _, b := range byOrg(recs) {
		require.NoError(t, writeLinks(ctx, e, b, bulk.SkipDuplicates, func(int) {}))
		require.NoError(t, addMemberships(ctx, e, b, bulk.SkipDuplicates, func(int) {}))
		var tally importTally
		require.NoError(t, createGrants(ctx, e, b, bulk.SkipDuplicates, &tally, func(int) {}))
		require.Equal(t, 2, tally.created)
	}

	roadmap := model.EntityRef{Type: "document", ID: "roadmap"}
	d, err := e.Resolve(ctx, "org_acme", "usr_bob", roadmap)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, writeExplanation(&out, "org_acme", "usr_bob", roadmap, d))
	t.Log("\n" + out.String())
	want, err := os.ReadFile(filepath.Join("testdata", "explain_deny.golden"))
	require.NoError(t, err)
	assert.Equal(t, string(want), maskIDs(out.String()))

	// A deny at read leaves nothing, and is still named.
	_, err = e.CreateGrant(ctx, "org_acme", model.GrantInput{Entity: roadmap, Grantee: model.User("usr_bob"), Level: model.LevelRead, Effect: model.EffectDeny})
	require.NoError(t, err)
	d, err = e.Resolve(ctx, "org_acme", "usr_bob", roadmap)
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, writeExplanation(&out, "org_acme", "usr_bob", roadmap, d))
	assert.Contains(t, out.String(), "user usr_bob has none on document:roadmap in org_acme: a deny takes away everything their grants give\n")
	assert.Regexp(t, `denied read and above by agrant_\w+ \(deny read to user:usr_bob\), of 2 deny path\(s\)`, out.String())
}
