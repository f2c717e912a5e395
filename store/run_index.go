package store

import (
	"slices"

	"github.com/google/btree"
)

// runIndex is an ordered set of rows held as runs: sorted slices of up to
// runMax rows, which a google/btree orders by their first rows. It is what
// the grant lookups by id, by grantee and by end are (grant_indexes.go).
//
// Why runs rather than a btree of rows (docs/design.md §4.2): a sorted
// batch is cut into full runs in one pass, with one tree insert per run
// instead of one binary search down the tree per row, each comparison of
// which reads a row elsewhere in memory (the longest part of a bulk load's
// commit, when the rows were a btree's items). A single put or delete
// searches the tree once, then the run.
//
// It is versioned like google/btree: Clone shares every run, and a version
// changes in place only the runs it made or copied since (their owner is
// its own); any other it copies first. Runs hold distinct rows in cmp
// order; no run is empty.
type runIndex[T any] struct {
	runs *btree.BTreeG[runRef[T]]
	cmp  func(a, b T) int
	n    int
	own  *runOwner
}

// runOwner marks the runs a version may change in place. It has a size so
// that two owners are two addresses.
type runOwner struct{ _ byte }

// runRef is a run as the tree holds it, keyed by its first row.
type runRef[T any] struct {
	first T
	run   *rowRun[T]
}

type rowRun[T any] struct {
	rows  []T
	owner *runOwner
}

// runMax is how many rows a run holds at most: a copy of a shared run (the
// first write to it after a Clone) moves 512 bytes of pointers, and a run
// of 64 needs six comparisons to search.
const runMax = 64

// runTreeDegree is the degree of the tree of runs: it holds one entry per
// run, so it stays small.
const runTreeDegree = 16

func newRunIndex[T any](cmp func(a, b T) int) *runIndex[T] {
	return &runIndex[T]{
		runs: btree.NewG(runTreeDegree, func(a, b runRef[T]) bool { return cmp(a.first, b.first) < 0 }),
		cmp:  cmp,
		own:  new(runOwner),
	}
}

// Len is how many rows x holds.
func (x *runIndex[T]) Len() int { return x.n }

// Clone returns a copy of x that shares its runs until either side writes.
// Like google/btree's Clone, it changes x (its owner), so it must not run
// concurrently with a write to x; readers of x may go on.
func (x *runIndex[T]) Clone() *runIndex[T] {
	x.own = new(runOwner)
	return &runIndex[T]{runs: x.runs.Clone(), cmp: x.cmp, n: x.n, own: new(runOwner)}
}

// locate returns the run that holds row, or would: the last run whose first
// row does not come after row, or else the first run. ok is false when x
// is empty.
func (x *runIndex[T]) locate(row T) (ref runRef[T], ok bool) {
	x.runs.DescendLessOrEqual(runRef[T]{first: row}, func(r runRef[T]) bool {
		ref, ok = r, true
		return false
	})
	if !ok {
		ref, ok = x.runs.Min()
	}
	return ref, ok
}

// search returns where row is in rows, or would be inserted, and whether it
// is there.
func (x *runIndex[T]) search(rows []T, row T) (int, bool) {
	return slices.BinarySearchFunc(rows, row, x.cmp)
}

// Get returns the row equal to probe under cmp.
func (x *runIndex[T]) Get(probe T) (T, bool) {
	var zero T
	ref, ok := x.locate(probe)
	if !ok {
		return zero, false
	}
	if i, found := x.search(ref.run.rows, probe); found {
		return ref.run.rows[i], true
	}
	return zero, false
}

// Max returns the last row.
func (x *runIndex[T]) Max() (T, bool) {
	ref, ok := x.runs.Max()
	if !ok {
		var zero T
		return zero, false
	}
	return ref.run.rows[len(ref.run.rows)-1], true
}

// Ascend calls fn on every row in order until fn returns false.
func (x *runIndex[T]) Ascend(fn func(T) bool) {
	x.runs.Ascend(func(r runRef[T]) bool { return ascendRun(r.run.rows, fn) })
}

// AscendGreaterOrEqual calls fn on every row from pivot on, in order, until
// fn returns false.
func (x *runIndex[T]) AscendGreaterOrEqual(pivot T, fn func(T) bool) {
	ref, ok := x.locate(pivot)
	if !ok {
		return
	}
	start, _ := x.search(ref.run.rows, pivot)
	first := true
	x.runs.AscendGreaterOrEqual(ref, func(r runRef[T]) bool {
		rows := r.run.rows
		if first {
			rows, first = rows[start:], false
		}
		return ascendRun(rows, fn)
	})
}

func ascendRun[T any](rows []T, fn func(T) bool) bool {
	for _, row := range rows {
		if !fn(row) {
			return false
		}
	}
	return true
}

// writable returns ref's run for x to change in place: the run itself when
// x owns it, or else a copy with room for one more row, which replaces it
// in the tree.
func (x *runIndex[T]) writable(ref runRef[T]) *rowRun[T] {
	if ref.run.owner == x.own {
		return ref.run
	}
	rows := make([]T, len(ref.run.rows), len(ref.run.rows)+1)
	copy(rows, ref.run.rows)
	run := &rowRun[T]{rows: rows, owner: x.own}
	x.runs.ReplaceOrInsert(runRef[T]{first: ref.first, run: run})
	return run
}

// rekey files run under its first row in place of ref.
func (x *runIndex[T]) rekey(ref runRef[T], run *rowRun[T]) {
	x.runs.Delete(ref)
	x.runs.ReplaceOrInsert(runRef[T]{first: run.rows[0], run: run})
}

// ReplaceOrInsert adds row, in place of the row equal to it under cmp if
// there is one, which it returns.
func (x *runIndex[T]) ReplaceOrInsert(row T) (T, bool) {
	var zero T
	ref, ok := x.locate(row)
	if !ok {
		x.runs.ReplaceOrInsert(runRef[T]{first: row, run: &rowRun[T]{rows: []T{row}, owner: x.own}})
		x.n++
		return zero, false
	}
	i, found := x.search(ref.run.rows, row)
	run := x.writable(ref)
	if found {
		old := run.rows[i]
		run.rows[i] = row
		if i == 0 { // equal keys: the entry stays where it is, on the new row
			x.runs.ReplaceOrInsert(runRef[T]{first: row, run: run})
		}
		return old, true
	}
	run.rows = slices.Insert(run.rows, i, row)
	x.n++
	if i == 0 { // before every row (locate found no run starting before it)
		x.rekey(ref, run)
	}
	if len(run.rows) > runMax {
		half := len(run.rows) / 2
		upper := &rowRun[T]{rows: slices.Clone(run.rows[half:]), owner: x.own}
		clear(run.rows[half:])
		run.rows = run.rows[:half]
		x.runs.ReplaceOrInsert(runRef[T]{first: upper.rows[0], run: upper})
	}
	return zero, false
}

// Delete removes the row equal to row under cmp, and returns it.
func (x *runIndex[T]) Delete(row T) (T, bool) {
	var zero T
	ref, ok := x.locate(row)
	if !ok {
		return zero, false
	}
	i, found := x.search(ref.run.rows, row)
	if !found {
		return zero, false
	}
	old := ref.run.rows[i]
	x.n--
	if len(ref.run.rows) == 1 {
		x.runs.Delete(ref)
		return old, true
	}
	run := x.writable(ref)
	run.rows = slices.Delete(run.rows, i, i+1)
	if i == 0 {
		x.rekey(ref, run)
	}
	return old, true
}

// putSorted adds rows, distinct and in cmp order, each in place of the row
// equal to it if there is one. Each run the rows fall into is merged with
// them and cut anew; rows beyond every run become runs of their own.
// Building full runs from the sorted rows is what makes a bulk load's
// index cheap: one tree insert per runMax rows.
func (x *runIndex[T]) putSorted(rows []T) {
	for len(rows) > 0 {
		ref, ok := x.locate(rows[0])
		if !ok {
			x.n += len(rows)
			x.addRuns(slices.Clone(rows))
			return
		}
		// This run takes the rows that come before the next one's first.
		end := len(rows)
		x.runs.AscendGreaterOrEqual(ref, func(r runRef[T]) bool {
			if x.cmp(r.first, ref.first) == 0 {
				return true
			}
			end, _ = slices.BinarySearchFunc(rows, r.first, x.cmp)
			return false
		})
		merged, added := mergeRows(ref.run.rows, rows[:end], x.cmp)
		x.n += added
		x.runs.Delete(ref)
		x.addRuns(merged)
		rows = rows[end:]
	}
}

// addRuns files rows (sorted, not empty, x's to keep) as runs of equal
// length, at most runMax each. Each run is a slice of rows capped at its
// own length, so that growing one in place copies it rather than writing
// into the next.
func (x *runIndex[T]) addRuns(rows []T) {
	k := (len(rows) + runMax - 1) / runMax
	for j := range k {
		lo, hi := j*len(rows)/k, (j+1)*len(rows)/k
		run := &rowRun[T]{rows: rows[lo:hi:hi], owner: x.own}
		x.runs.ReplaceOrInsert(runRef[T]{first: rows[lo], run: run})
	}
}

// mergeRows merges two sorted runs of distinct rows into a new slice, a
// row of add replacing an equal one of old, and says how many rows of add
// were not in old.
func mergeRows[T any](old, add []T, cmp func(a, b T) int) ([]T, int) {
	out := make([]T, 0, len(old)+len(add))
	added := 0
	i, j := 0, 0
	for i < len(old) && j < len(add) {
		switch c := cmp(old[i], add[j]); {
		case c < 0:
			out = append(out, old[i])
			i++
		case c > 0:
			out = append(out, add[j])
			j++
			added++
		default:
			out = append(out, add[j])
			i++
			j++
		}
	}
	out = append(out, old[i:]...)
	added += len(add) - j
	return append(out, add[j:]...), added
}
