package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		size        gen.Size
		openfgaLoad time.Duration
		spicedbLoad time.Duration
	}{
		{"default size", nil, gen.Medium, 600 * time.Second, 600 * time.Second},
		{"small", []string{"-size", "small"}, gen.Small, 120 * time.Second, 120 * time.Second},
		{"large", []string{"-size", "large"}, gen.Large, 150 * time.Second, 150 * time.Second},
		{"explicit budgets", []string{"-size", "large", "-openfga-load", "10s", "-spicedb-load", "20s"}, gen.Large, 10 * time.Second, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.size, cfg.size)
			assert.Equal(t, tt.openfgaLoad, cfg.openfgaLoad)
			assert.Equal(t, tt.spicedbLoad, cfg.spicedbLoad)
			assert.Equal(t, []string{nameGrantdb, nameCasbin, nameOpenFGA, nameSpiceDB}, cfg.engines)
			assert.Equal(t, modelRich, cfg.model)
		})
	}
	cfg, err := parseFlags([]string{"-model", "flat"})
	require.NoError(t, err)
	assert.Equal(t, modelFlat, cfg.model)
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-size", "huge"},
		{"-engines", "grantdb,zanzibar"},
		{"-peer-samples", "0"},
		{"-spicedb-batch", "0"},
		{"-model", "deep"},
	} {
		_, err := parseFlags(args)
		assert.Error(t, err, "%v", args)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		assert.Equal(t, want, count(n))
	}
}
