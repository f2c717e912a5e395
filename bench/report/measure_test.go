package main

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThroughputIndexes checks that the goroutines of a throughput
// measurement share out the indexes: each index is called once, and each
// goroutine's indexes (one residue modulo the goroutine count) run from
// its first without a gap, as one goroutine counting up would ask them.
func TestThroughputIndexes(t *testing.T) {
	const goroutines = 3
	var mu sync.Mutex
	seen := map[int]int{}
	rate := throughput(goroutines, 50*time.Millisecond, func(i int) {
		mu.Lock()
		seen[i]++
		mu.Unlock()
	})
	require.NotEmpty(t, seen)
	assert.Positive(t, rate)
	byResidue := make([][]int, goroutines)
	for i, n := range seen {
		assert.Equal(t, 1, n, "index %d called %d times", i, n)
		require.GreaterOrEqual(t, i, 0)
		byResidue[i%goroutines] = append(byResidue[i%goroutines], i)
	}
	for r, is := range byResidue {
		require.NotEmpty(t, is, "goroutine %d made no call", r)
		sort.Ints(is)
		for k, i := range is {
			assert.Equal(t, r+k*goroutines, i, "goroutine %d's call %d", r, k)
		}
	}
}
