package resolve

// White-box: the copy-on-write map is internal, and its invariants (older
// revisions never change, deletion keeps every probe run reachable) are not
// observable through the public API in few enough steps to test them well.

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCowMapAgainstGoMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Few distinct hashes force long probe runs and wrap-around; the shard
	// bits stay varied so that several shards and middle arrays are copied.
	hashOf := func(k int) uint64 { return uint64(k%7)<<slotShift | uint64(k%5)*(fan+1) }
	var m cowMap[int, int]
	want := map[int]int{}
	type revision struct {
		m    cowMap[int, int]
		want map[int]int
	}
	var history []revision
	for round := range 200 {
		b := newCowMapBuilder(m)
		for range rng.IntN(40) {
			k := rng.IntN(60)
			if rng.IntN(3) == 0 {
				b.delete(hashOf(k), k)
				delete(want, k)
			} else {
				v := rng.Int()
				b.set(hashOf(k), k, v)
				want[k] = v
			}
		}
		m = b.done()
		snapshot := map[int]int{}
		for k, v := range want {
			snapshot[k] = v
		}
		history = append(history, revision{m, snapshot})
		for _, r := range history[max(0, len(history)-5):] {
			for k := range 60 {
				v, ok := r.m.get(hashOf(k), k)
				wv, wok := r.want[k]
				require.Equal(t, wok, ok, "round %d key %d", round, k)
				assert.Equal(t, wv, v)
			}
		}
	}
}
