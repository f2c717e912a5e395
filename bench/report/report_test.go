package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
)

// TestSmallComparisonAgrees runs the small comparison with tight budgets
// and checks that every engine answers every compared query as the
// generator expects, and that the results files are written. It asserts
// no timing.
func TestSmallComparisonAgrees(t *testing.T) {
	dir := t.TempDir()
	cfg := config{
		size: gen.Small, seed: 1, out: dir,
		engines:        []string{nameGrantdb, nameCasbin, nameOpenFGA, nameSpiceDB},
		grantdbSamples: 5000, peerSamples: 300,
		casbinLoad: time.Minute, casbinQuery: time.Minute,
		openfgaLoad: 2 * time.Minute, openfgaQuery: time.Minute,
		spicedbLoad: 2 * time.Minute, spicedbQuery: time.Minute,
		throughput: 100 * time.Millisecond, peerThroughput: 100 * time.Millisecond,
		openfgaBatch: 1000, spicedbBatch: 1000, ops: true, command: "go test",
	}
	if testing.Verbose() {
		cfg.log = os.Stderr
	}
	rep, err := run(cfg)
	require.NoError(t, err)

	assert.Empty(t, rep.Disagreements)
	for _, name := range cfg.engines {
		e := rep.Engines[name]
		require.NotNil(t, e, name)
		assert.Empty(t, e.Error, name)
		assert.False(t, e.LoadStopped, name)
		assert.Equal(t, e.LoadTotal, e.LoadItems, name)
		for mix, a := range map[string]Agreement{mixHot: e.Agree, mixUniform: e.Uniform.Agree} {
			assert.Positive(t, a.Compared, "%s %s", name, mix)
			assert.Equal(t, a.Compared, a.Agreed, "%s %s", name, mix)
			assert.Zero(t, a.Errors, "%s %s", name, mix)
		}
	}
	assert.Equal(t, cfg.grantdbSamples, rep.Engines[nameGrantdb].Agree.Compared)
	assert.Equal(t, cfg.grantdbSamples, rep.Engines[nameGrantdb].Uniform.Agree.Compared)
	for _, key := range goalKeys {
		gl, ok := rep.Goals[key]
		if assert.True(t, ok, key) {
			assert.True(t, gl.MeasuredHere, key)
		}
	}
	assert.NotEmpty(t, rep.Operations)
	for _, op := range rep.Operations {
		assert.NotContains(t, op.Detail, "error", op.Label)
	}

	var fromFile map[string]any
	js, err := os.ReadFile(filepath.Join(dir, "small.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, &fromFile))
	for _, key := range []string{"size", "grants", "engines", "ratios", "machine", "goals"} {
		assert.Contains(t, fromFile, key)
	}
	engines, _ := fromFile["engines"].(map[string]any)
	for _, name := range cfg.engines {
		e, _ := engines[name].(map[string]any)
		require.NotNil(t, e, name)
		assert.Contains(t, e, "check_p50_ns", name)
		assert.Contains(t, e, "uniform", name)
	}
	for _, peer := range peers {
		for _, key := range []string{"check_vs_", "check_uniform_vs_", "load_vs_", "heap_vs_"} {
			assert.Contains(t, rep.Ratios, key+peer)
		}
	}
	// -render rewrites the md and svg from the json alone.
	require.NoError(t, os.Remove(filepath.Join(dir, "small.md")))
	require.NoError(t, render(dir, "small"))
	for _, ext := range []string{".md", ".svg"} {
		info, err := os.Stat(filepath.Join(dir, "small"+ext))
		require.NoError(t, err)
		assert.Positive(t, info.Size())
	}
}

// TestPartialSpiceDBLoadComparesOnlyCoveredEntities stops SpiceDB's load
// early and checks that the queries it is compared on are only those about
// entities it holds completely, and that it still agrees on them.
func TestPartialSpiceDBLoadComparesOnlyCoveredEntities(t *testing.T) {
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12}.Flat())
	qs := append(o.Queries(400), uniformQueries(o, 3, 400)...)
	sub := &spicedbSubject{batch: 100}
	t.Cleanup(sub.close)
	writes, budget := 0, len(o.Memberships)/100+4
	ld, err := sub.loadUntil(o, nil, func() bool { writes++; return writes > budget })
	require.NoError(t, err)
	require.True(t, ld.stopped)
	require.Less(t, ld.items, ld.total)

	compared := 0
	for _, q := range qs {
		if !sub.covers(q) {
			continue
		}
		compared++
		got, err := sub.check(q)
		require.NoError(t, err)
		assert.Equal(t, q.Allowed, got, "%+v", q)
	}
	assert.Positive(t, compared)
	assert.Less(t, compared, len(qs))
}

// TestPartialOpenFGALoadComparesOnlyCoveredEntities stops OpenFGA's load
// early and checks that the queries it is compared on are only those about
// entities it holds completely, and that it still agrees on them.
func TestPartialOpenFGALoadComparesOnlyCoveredEntities(t *testing.T) {
	if testing.Short() {
		t.Skip("loads OpenFGA; skipped with -short")
	}
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12}.Flat())
	qs := o.Queries(400)
	sub := &openfgaSubject{batch: 100, timeout: time.Minute}
	t.Cleanup(sub.close)
	// Stop after the memberships and a few writes of grants, counted in
	// writes rather than seconds so that the test does not depend on the
	// machine's speed.
	writes, budget := 0, len(o.Memberships)/100+4
	ld, err := sub.loadUntil(o, nil, func() bool { writes++; return writes > budget })
	require.NoError(t, err)
	require.True(t, ld.stopped)
	require.Less(t, ld.items, ld.total)

	compared := 0
	for _, q := range qs {
		if !sub.covers(q) {
			continue
		}
		compared++
		got, err := sub.check(q)
		require.NoError(t, err)
		assert.Equal(t, q.Allowed, got, "%+v", q)
	}
	assert.Positive(t, compared)
	assert.Less(t, compared, len(qs))
}
