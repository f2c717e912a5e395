package store

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRunRow is a row of the runIndex tests: ordered by k, told apart from
// an equal row by v.
type testRunRow struct{ k, v int }

func cmpTestRunRows(a, b *testRunRow) int { return cmp.Compare(a.k, b.k) }

// runModel is what a runIndex should hold: its rows by key.
type runModel map[int]*testRunRow

func (m runModel) sorted() []*testRunRow {
	rows := make([]*testRunRow, 0, len(m))
	for _, r := range m {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, cmpTestRunRows)
	return rows
}

func (m runModel) clone() runModel {
	c := make(runModel, len(m))
	for k, r := range m {
		c[k] = r
	}
	return c
}

// requireRunIndex checks x against m: its rows in order, its length, and
// the shape of its runs (none empty or over runMax, each sorted, filed
// under its first row, and every run before the next).
func requireRunIndex(t *testing.T, m runModel, x *runIndex[*testRunRow]) {
	t.Helper()
	var got []*testRunRow
	x.Ascend(func(r *testRunRow) bool { got = append(got, r); return true })
	require.Equal(t, m.sorted(), got)
	require.Equal(t, len(m), x.Len())
	var prev *testRunRow
	x.runs.Ascend(func(r runRef[*testRunRow]) bool {
		rows := r.run.rows
		require.NotEmpty(t, rows)
		require.LessOrEqual(t, len(rows), runMax)
		require.Same(t, rows[0], r.first, "a run is filed under its first row")
		require.True(t, slices.IsSortedFunc(rows, cmpTestRunRows))
		if prev != nil {
			require.Less(t, prev.k, rows[0].k)
		}
		prev = rows[len(rows)-1]
		return true
	})
}

func TestRunIndex_RandomOperations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newRunIndex(cmpTestRunRows)
	m := runModel{}
	// Clones made along the way, with what each held then: later writes
	// to x must not show in them, nor theirs in x.
	type frozen struct {
		x *runIndex[*testRunRow]
		m runModel
	}
	var clones []frozen
	v := 0
	for step := range 4000 {
		v++
		switch op := rng.IntN(10); {
		case op < 4:
			k := rng.IntN(3000)
			row := &testRunRow{k, v}
			old, replaced := x.ReplaceOrInsert(row)
			want, had := m[k]
			require.Equal(t, had, replaced)
			if had {
				require.Same(t, want, old)
			}
			m[k] = row
		case op < 7:
			k := rng.IntN(3000)
			old, deleted := x.Delete(&testRunRow{k: k})
			want, had := m[k]
			require.Equal(t, had, deleted)
			if had {
				require.Same(t, want, old)
			}
			delete(m, k)
		case op < 9:
			// A sorted batch of distinct keys, in one place or spread.
			lo, span := rng.IntN(3000), 1+rng.IntN(400)
			batch := map[int]*testRunRow{}
			for range rng.IntN(300) {
				k := lo + rng.IntN(span)
				batch[k] = &testRunRow{k, v}
			}
			rows := runModel(batch).sorted()
			x.putSorted(rows)
			for _, r := range rows {
				m[r.k] = r
			}
		default:
			clones = append(clones, frozen{x.Clone(), m.clone()})
		}
		if step%97 == 0 {
			requireRunIndex(t, m, x)
		}
	}
	requireRunIndex(t, m, x)
	for _, c := range clones {
		requireRunIndex(t, c.m, c.x)
	}
	// A clone written to leaves the index it came from as it was.
	c := x.Clone()
	for k := range 3400 { // the keys reach lo+span of the widest batch
		c.Delete(&testRunRow{k: k})
	}
	assert.Zero(t, c.Len())
	requireRunIndex(t, m, x)
}

func TestRunIndex_PutSortedBuildsFullRuns(t *testing.T) {
	x := newRunIndex(cmpTestRunRows)
	rows := make([]*testRunRow, 10*runMax)
	for i := range rows {
		rows[i] = &testRunRow{k: 2 * i}
	}
	x.putSorted(rows)
	assert.Equal(t, 10, x.runs.Len(), "a sorted batch into an empty index is cut into full runs")
	m := runModel{}
	for _, r := range rows {
		m[r.k] = r
	}
	requireRunIndex(t, m, x)

	// Odd keys fall between the stored ones: each run they touch is merged
	// and cut anew, and the stored rows they equal are replaced.
	more := []*testRunRow{{k: -1}, {k: 0, v: 1}, {k: 3}, {k: 501}, {k: 5000}}
	x.putSorted(more)
	for _, r := range more {
		m[r.k] = r
	}
	requireRunIndex(t, m, x)
}

func TestRunIndex_Lookups(t *testing.T) {
	x := newRunIndex(cmpTestRunRows)
	_, ok := x.Get(&testRunRow{k: 1})
	assert.False(t, ok, "an empty index holds nothing")
	_, ok = x.Max()
	assert.False(t, ok)
	x.AscendGreaterOrEqual(&testRunRow{k: 0}, func(*testRunRow) bool {
		t.Fatal("an empty index has nothing to ascend")
		return false
	})

	var rows []*testRunRow
	for k := 0; k < 5*runMax; k += 5 {
		rows = append(rows, &testRunRow{k: k})
	}
	x.putSorted(rows)
	tests := []struct {
		name  string
		pivot int
		want  []int // the first keys AscendGreaterOrEqual gives
	}{
		{"before every row", -3, []int{0, 5, 10}},
		{"on a row", 10, []int{10, 15, 20}},
		{"between rows", 11, []int{15, 20, 25}},
		{"at a run's end", 5*runMax - 5, []int{5*runMax - 5}},
		{"past every row", 5 * runMax, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			x.AscendGreaterOrEqual(&testRunRow{k: tt.pivot}, func(r *testRunRow) bool {
				got = append(got, r.k)
				return len(got) < 3
			})
			assert.Equal(t, tt.want, got)
		})
	}
	got, ok := x.Get(&testRunRow{k: 35})
	require.True(t, ok)
	assert.Same(t, rows[7], got)
	_, ok = x.Get(&testRunRow{k: 36})
	assert.False(t, ok)
	last, ok := x.Max()
	require.True(t, ok)
	assert.Same(t, rows[len(rows)-1], last)
}

// TestRunIndex_ReadersOfACloneSource reads an index on one goroutine while
// another writes to its clone (puts, deletes and sorted batches, which copy
// the runs they touch): the reader always sees what the index held when it
// was cloned, and -race sees no write to a run the reader reads.
func TestRunIndex_ReadersOfACloneSource(t *testing.T) {
	x := newRunIndex(cmpTestRunRows)
	m := runModel{}
	var rows []*testRunRow
	for k := 0; k < 20*runMax; k += 2 {
		rows = append(rows, &testRunRow{k: k})
		m[k] = rows[len(rows)-1]
	}
	x.putSorted(rows)
	want := m.sorted()
	w := x.Clone()
	done := make(chan struct{})
	go func() {
		defer close(done)
		rng := rand.New(rand.NewPCG(9, 10))
		for i := range 3000 {
			k := rng.IntN(22 * runMax)
			switch i % 3 {
			case 0:
				w.ReplaceOrInsert(&testRunRow{k, i})
			case 1:
				w.Delete(&testRunRow{k: k})
			default:
				w.putSorted([]*testRunRow{{k, i}, {k + 1, i}})
			}
		}
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		var got []*testRunRow
		x.Ascend(func(r *testRunRow) bool { got = append(got, r); return true })
		require.Equal(t, want, got)
	}
	requireRunIndex(t, m, x)
}
