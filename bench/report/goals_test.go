package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goalsReport is a report of 100k grants with the figures the goals read.
func goalsReport() *Report {
	g := &EngineResult{
		LoadS: 1, HeapBytes: 100 << 20,
		MixResult: MixResult{CheckSamples: 10, CheckP50Ns: 240, ThroughputSingle: 1e6, ThroughputParallel: 1.9e6, Goroutines: 2},
		Uniform:   &MixResult{CheckSamples: 10, CheckP50Ns: 450, AllocsPerCheck: 0, ThroughputSingle: 1e6, ThroughputParallel: 2e6},
		LoadPhases: []Phase{
			{Name: "AddMembers", Items: 50_000, S: 0.05}, // 1 µs each
			{Name: "BulkCreate", Items: 100_000, S: 0.5}, // 200k/s, 5 s at 1M
		},
	}
	c := &EngineResult{LoadS: 2, HeapBytes: 50 << 20, MixResult: MixResult{CheckSamples: 10, CheckP50Ns: 1e6}}
	rep := &Report{
		Grants:  100_000,
		Engines: map[string]*EngineResult{nameGrantdb: g, nameCasbin: c},
		Ratios:  map[string]float64{"load_vs_casbin": 2, "heap_vs_casbin": 0.5},
		Operations: []OpResult{
			{Name: "Open", Calls: 1, P50Ns: 0.2e9, Items: 100_000}, // 2 s at 1M
			{Name: "ResolvedAccess", Calls: 10, P50Ns: 12_000, Detail: "a user who reads 50 entities"},
		},
	}
	return rep
}

func TestGoalsStateEachGoalWithItsValue(t *testing.T) {
	got := goals(goalsReport())
	tests := []struct {
		key    string
		value  float64
		met    bool
		scaled bool
	}{
		{"check_uniform_p50", 450, false, false},
		{"required_check_uniform_p50", 450, true, false},
		{"check_hot_p50", 240, true, false},
		{"check_parallel_vs_single", 1.9, false, false},
		{"load_vs_casbin", 2, true, false},
		{"heap_vs_casbin", 0.5, false, false},
		{"bulkcreate_1m", 5, false, true},
		{"required_bulkcreate_rate", 200_000, false, false},
		{"addmembers_per_membership", 1000, true, false},
		{"open_1m_snapshot", 2, true, true},
		{"resolved_access", 12_000, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			gl, ok := got[tt.key]
			require.True(t, ok)
			assert.True(t, gl.MeasuredHere)
			assert.InDelta(t, tt.value, gl.Value, tt.value*1e-9)
			assert.Equal(t, tt.met, gl.Met)
			assert.Equal(t, tt.scaled, gl.Scaled)
			assert.NotEmpty(t, gl.Measured)
			assert.NotEmpty(t, gl.Target)
		})
	}
	// UsersWithAccess was not measured in this report.
	assert.NotContains(t, got, "users_with_access")
}

func TestGoalsWithoutCasbinAreNotMeasured(t *testing.T) {
	rep := goalsReport()
	delete(rep.Engines, nameCasbin)
	rep.Ratios = map[string]float64{}
	got := goals(rep)
	for _, key := range []string{"load_vs_casbin", "heap_vs_casbin"} {
		assert.False(t, got[key].MeasuredHere, key)
		assert.False(t, got[key].Met, key)
	}
	assert.Empty(t, goals(&Report{Engines: map[string]*EngineResult{}}))
}

func TestGoalsTableListsEveryGoal(t *testing.T) {
	rep := goalsReport()
	rep.Goals = goals(rep)
	md := markdown(rep)
	for _, gl := range rep.Goals {
		assert.Contains(t, md, gl.Measure)
	}
	assert.Contains(t, md, "yes (scaled)")
}
