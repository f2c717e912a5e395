package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var idT0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// requireSorted checks that ids are strictly increasing and well formed.
func requireSorted(t *testing.T, ids []string) {
	t.Helper()
	for i, id := range ids {
		require.Len(t, id, idLen)
		require.True(t, strings.HasPrefix(id, GrantIDPrefix))
		if i > 0 {
			require.Less(t, ids[i-1], id, "id %d does not sort after id %d", i, i-1)
		}
	}
}

func TestIDsSortByCreation(t *testing.T) {
	cases := []struct {
		name  string
		times func(i int) time.Time
		n     int
	}{
		{"clock standing still", func(int) time.Time { return idT0 }, 5000},
		{"clock moving forward", func(i int) time.Time { return idT0.Add(time.Duration(i) * time.Millisecond) }, 1000},
		{"clock going back", func(i int) time.Time { return idT0.Add(-time.Duration(i) * time.Second) }, 1000},
		{"clock jumping about", func(i int) time.Time {
			return idT0.Add(time.Duration(i%7-3) * time.Millisecond)
		}, 1000},
		{"sub-millisecond steps", func(i int) time.Time { return idT0.Add(time.Duration(i) * time.Microsecond) }, 3000},
		{"before the epoch", func(int) time.Time { return time.Unix(-5, 0) }, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var g idGen
			ids := make([]string, tc.n)
			for i := range ids {
				ids[i] = g.next(tc.times(i))
			}
			requireSorted(t, ids)
		})
	}
}

// More ids in one millisecond than the counter holds borrow the next
// millisecond and still sort; the counter restarts there.
func TestIDsCounterOverflow(t *testing.T) {
	var g idGen
	prev := g.next(idT0)
	ms0, _, ok := parseID(prev)
	require.True(t, ok)
	for i := 0; i < idSeqMax+10; i++ {
		id := g.next(idT0)
		if id <= prev { // testify per id would dominate the run under -race
			require.Failf(t, "ids out of order", "id %d: %s after %s", i, id, prev)
		}
		prev = id
	}
	ms, seq, ok := parseID(prev)
	require.True(t, ok)
	assert.Equal(t, ms0+1, ms)
	assert.Equal(t, int64(9), seq)

	// The real next millisecond comes after the borrowed one.
	next := g.next(idT0.Add(time.Millisecond))
	assert.Less(t, prev, next)
	next2 := g.next(idT0.Add(2 * time.Millisecond))
	assert.Less(t, next, next2)
	ms2, seq2, _ := parseID(next2)
	assert.Equal(t, ms0+2, ms2)
	assert.Zero(t, seq2)
}

func TestIDsAreDistinctAcrossGenerators(t *testing.T) {
	// Two engines making ids at the same instant differ by their random bits.
	var a, b idGen
	seen := map[string]bool{}
	for range 1000 {
		for _, id := range []string{a.next(idT0), b.next(idT0)} {
			require.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
	}
}

func TestParseIDRoundTrip(t *testing.T) {
	var g idGen
	for i, now := range []time.Time{idT0, idT0, idT0.Add(time.Hour), time.UnixMilli(1<<50 - 1)} {
		id := g.next(now)
		ms, seq, ok := parseID(id)
		require.True(t, ok, "id %d: %s", i, id)
		assert.Equal(t, g.lastMs, ms)
		assert.Equal(t, g.seq, seq)
	}
	var fresh idGen
	ms, seq, ok := parseID(fresh.next(idT0.Add(48 * time.Hour)))
	require.True(t, ok)
	assert.Equal(t, idT0.Add(48*time.Hour).UnixMilli(), ms)
	assert.Zero(t, seq)
}

func TestParseIDRefusesMalformed(t *testing.T) {
	good := (&idGen{}).next(idT0)
	for _, id := range []string{
		"",
		GrantIDPrefix,
		good[:len(good)-1],
		good + "0",
		"bgrant_" + good[len(GrantIDPrefix):],
		withByte(good, len(GrantIDPrefix)+idTimeChars+1, 'u'), // not in the alphabet
		withByte(good, len(GrantIDPrefix)+2, 'A'),             // upper case
		withByte(good, len(GrantIDPrefix)+idTimeChars-1, '-'),
		good[:len(GrantIDPrefix)] + "\xff" + good[len(GrantIDPrefix)+1:],
	} {
		_, _, ok := parseID(id)
		assert.False(t, ok, "%q parsed", id)
	}
}

func TestSeedMakesLaterIDsSortAfter(t *testing.T) {
	var loaded idGen
	var last string
	for range 100 {
		last = loaded.next(idT0.Add(time.Hour))
	}
	cases := []struct {
		name string
		now  time.Time
	}{
		{"clock behind the loaded id", idT0},
		{"clock at the loaded id's millisecond", idT0.Add(time.Hour)},
		{"clock ahead", idT0.Add(2 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var g idGen
			g.seed(last)
			id := g.next(tc.now)
			assert.Less(t, last, id)
			assert.Less(t, id, g.next(tc.now))
		})
	}

	t.Run("an older or malformed seed changes nothing", func(t *testing.T) {
		var g idGen
		g.seed(last)
		ms, seq := g.lastMs, g.seq
		g.seed((&idGen{}).next(idT0))
		g.seed("")
		g.seed("agrant_garbage")
		assert.Equal(t, ms, g.lastMs)
		assert.Equal(t, seq, g.seq)
		assert.Less(t, last, g.next(idT0))
	})
}

func withByte(s string, i int, c byte) string {
	b := []byte(s)
	b[i] = c
	return string(b)
}

// TestBatchIDsShareBlocksAndStayIntact draws a batch's ids across several
// blocks, alternating with ids drawn one by one from the same generator:
// every id is well formed, they sort by creation whichever way they were
// drawn, and an id drawn early still reads the same once later ids have
// filled its block.
func TestBatchIDsShareBlocksAndStayIntact(t *testing.T) {
	var g idGen
	ids := batchIDs{g: &g}
	var all, early []string
	for i := range 3*idBlockIDs + 7 {
		now := idT0.Add(time.Duration(i/100) * time.Millisecond)
		id := ids.next(now)
		all = append(all, id)
		early = append(early, strings.Clone(id))
		if i%50 == 0 {
			all = append(all, g.next(now))
			early = append(early, all[len(all)-1])
		}
	}
	requireSorted(t, all)
	assert.Equal(t, early, all, "a later id wrote over an earlier one")
	ms, seq, ok := parseID(all[len(all)-1])
	require.True(t, ok)
	assert.Equal(t, g.mark(), idMark{ms, seq}, "the batch's ids advance the generator")
}
