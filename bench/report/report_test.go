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
		size: gen.Small, seed: 1, model: modelRich, out: dir,
		engines:        []string{nameGrantdb, nameCasbin, nameOpenFGA, nameSpiceDB},
		grantdbSamples: 5000, peerSamples: 300, decidedSamples: 60,
		casbinLoad: time.Minute, casbinQuery: 40 * time.Second,
		openfgaLoad: 4 * time.Minute, openfgaQuery: 40 * time.Second,
		spicedbLoad: 2 * time.Minute, spicedbQuery: 40 * time.Second,
		throughput: 100 * time.Millisecond, peerThroughput: 100 * time.Millisecond,
		openfgaBatch: 1000, spicedbBatch: 1000, ops: true, command: "go test",
	}
	if testing.Verbose() {
		cfg.log = os.Stderr
	}
	rep, err := run(cfg)
	require.NoError(t, err)

	assert.Empty(t, rep.Disagreements)
	assert.Equal(t, modelRich, rep.Model)
	assert.Positive(t, rep.Folders)
	assert.Positive(t, rep.Links)
	assert.Positive(t, rep.Denies)
	for _, name := range cfg.engines {
		e := rep.Engines[name]
		require.NotNil(t, e, name)
		assert.Empty(t, e.Error, name)
		assert.False(t, e.LoadStopped, name)
		assert.Equal(t, e.LoadTotal, e.LoadItems, name)
		var deny, denyDecides, inherited, inheritedDecides Subset
		for mix, a := range map[string]Agreement{mixHot: e.Agree, mixUniform: e.Uniform.Agree} {
			assert.Positive(t, a.Compared, "%s %s", name, mix)
			assert.Equal(t, a.Compared, a.Agreed, "%s %s", name, mix)
			assert.Zero(t, a.Errors, "%s %s", name, mix)
			assert.Zero(t, a.Skipped, "%s %s: every entity is loaded completely", name, mix)
			planned := cfg.peerSamples
			if name == nameGrantdb {
				planned = cfg.grantdbSamples
			}
			assert.Equal(t, planned, a.Compared+a.NotAsked, "%s %s: every query is compared or left to the budget", name, mix)
			for _, sub := range []struct {
				sum *Subset
				s   Subset
			}{
				{&deny, a.Deny}, {&denyDecides, a.DenyDecides}, {&inherited, a.Inherited}, {&inheritedDecides, a.InheritedDecides},
			} {
				sub.sum.Compared += sub.s.Compared
				sub.sum.Agreed += sub.s.Agreed
			}
		}
		// The decided queries are all of that kind, of both kinds, and
		// every engine answers them as the generator does.
		if d := e.Decided; assert.NotNil(t, d, name) {
			assert.Positive(t, d.Compared, name)
			assert.Equal(t, d.Compared, d.Agreed, name)
			assert.LessOrEqual(t, d.Compared, d.DenyDecides.Compared+d.InheritedDecides.Compared, "%s: each is decided by one or the other", name)
			assert.Positive(t, d.DenyDecides.Compared, name)
			assert.Positive(t, d.InheritedDecides.Compared, name)
		}
		// The mixes hold queries that denies and folders' grants decide,
		// and every engine answers them as the generator does.
		for kind, sum := range map[string]Subset{"deny": deny, "deny decides": denyDecides, "inherited": inherited, "inheritance decides": inheritedDecides} {
			assert.Positive(t, sum.Compared, "%s: %s", name, kind)
			assert.Equal(t, sum.Compared, sum.Agreed, "%s: %s", name, kind)
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

	md, err := os.ReadFile(filepath.Join(dir, "small.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "decided by a deny")
	assert.Contains(t, string(md), "rich model")

	var fromFile map[string]any
	js, err := os.ReadFile(filepath.Join(dir, "small.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, &fromFile))
	for _, key := range []string{"size", "grants", "engines", "ratios", "machine", "goals", "model", "links", "denies"} {
		assert.Contains(t, fromFile, key)
	}
	engines, _ := fromFile["engines"].(map[string]any)
	for _, name := range cfg.engines {
		e, _ := engines[name].(map[string]any)
		require.NotNil(t, e, name)
		assert.Contains(t, e, "check_p50_ns", name)
		assert.Contains(t, e, "uniform", name)
		agreement, _ := e["agreement"].(map[string]any)
		for _, key := range []string{"deny", "deny_decides", "inherited", "inherited_decides"} {
			assert.Contains(t, agreement, key, name)
		}
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
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12})
	qs := append(o.Queries(400), uniformQueries(o, 3, 400)...)
	sub := &spicedbSubject{batch: 100}
	t.Cleanup(sub.close)
	assertPartialLoadComparesCovered(t, sub, o, qs)
}

// TestPartialOpenFGALoadComparesOnlyCoveredEntities stops OpenFGA's load
// early and checks that the queries it is compared on are only those about
// entities it holds completely, and that it still agrees on them.
func TestPartialOpenFGALoadComparesOnlyCoveredEntities(t *testing.T) {
	if testing.Short() {
		t.Skip("loads OpenFGA; skipped with -short")
	}
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12})
	qs := o.Queries(400)
	sub := &openfgaSubject{batch: 100, timeout: time.Minute}
	t.Cleanup(sub.close)
	assertPartialLoadComparesCovered(t, sub, o, qs)
}

// partialLoader is a peer whose load can be stopped part way.
type partialLoader interface {
	subject
	loadUntil(o *gen.Org, log *progress, stop func() bool) (loaded, error)
}

// assertPartialLoadComparesCovered stops sub's load after the memberships,
// the links and a few writes of grants (counted in writes rather than
// seconds, so that the test does not depend on the machine's speed), then
// checks that some but not all of qs are covered and that sub agrees with
// the generator on every covered one.
func assertPartialLoadComparesCovered(t *testing.T, sub partialLoader, o *gen.Org, qs []gen.Query) {
	t.Helper()
	writes, budget := 0, prefixWrites(o, 100)+4
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

// prefixWrites returns how many writes of batch items the memberships and
// links take (writeInBatches never mixes them).
func prefixWrites(o *gen.Org, batch int) int {
	return (len(o.Memberships)+batch-1)/batch + (len(o.Links)+batch-1)/batch
}
