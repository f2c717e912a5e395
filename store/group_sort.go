package store

import "slices"

// sortByGroup reorders rows stably by their group (groupOf), the groups
// ordered by cmpGroups of their first rows. Rows already in order within
// each group end up in the full order of (group, that order) without a
// comparison sort of the rows: a hash per row and a sort of the distinct
// groups, which are far fewer than the rows (a batch's grants come in entity
// order and the grantee btree wants grantee order; each grantee's grants
// are in entity order already).
func sortByGroup[R any, K comparable](rows []R, groupOf func(R) K, cmpGroups func(a, b R) int) {
	if len(rows) < 2 {
		return
	}
	ids := make(map[K]int32)
	var firsts []R
	var counts []int32
	group := make([]int32, len(rows))
	for i, r := range rows {
		k := groupOf(r)
		g, ok := ids[k]
		if !ok {
			g = int32(len(firsts))
			ids[k] = g
			firsts = append(firsts, r)
			counts = append(counts, 0)
		}
		group[i] = g
		counts[g]++
	}
	order := make([]int32, len(firsts))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmpGroups(firsts[a], firsts[b]) })
	next := make([]int32, len(firsts))
	pos := int32(0)
	for _, g := range order {
		next[g] = pos
		pos += counts[g]
	}
	out := make([]R, len(rows))
	for i, r := range rows {
		out[next[group[i]]] = r
		next[group[i]]++
	}
	copy(rows, out)
}
