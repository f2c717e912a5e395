package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// membershipRow is a stored membership.
type membershipRow struct {
	key string
	m   model.Membership
}

// org is the row's organisation: the first field of its key, which is
// membershipKey(org, m), so that its length follows from m's. It is not a
// field of its own: that would cost 16 bytes a membership.
func (r *membershipRow) org() string {
	n := len(r.key) - 4*len(sep) - len(r.m.Member.Type) - len(r.m.Member.ID) - len(r.m.Group.Type) - len(r.m.Group.ID)
	return r.key[:n]
}

// HasMembership reports whether the membership is stored in org.
func (r *ReadTxn) HasMembership(org string, m model.Membership) bool {
	key := membershipKey(org, m)
	row, err := r.memberIn(entityKeyOf(key))
	return err == nil && row != nil && row.find(key) != nil
}

// GroupsOf calls fn with each group that member is a direct member of, in
// key order, until fn returns false.
func (r *ReadTxn) GroupsOf(org string, member model.Subject, fn func(group model.Subject) bool) error {
	return r.scanMemberships(prefix(org, string(member.Type), member.ID), func(m model.Membership) bool {
		return fn(m.Group)
	})
}

// MembersOf calls fn with each direct member of group, in key order, until fn
// returns false.
func (r *ReadTxn) MembersOf(org string, group model.Subject, fn func(member model.Subject) bool) error {
	if row := r.gx.membersByGroup.get(org, group); row != nil {
		for _, m := range row.rows {
			if !fn(m.m.Member) {
				break
			}
		}
	}
	return nil
}

// Memberships calls fn with each membership of org, ordered by member, until
// fn returns false.
func (r *ReadTxn) Memberships(org string, fn func(m model.Membership) bool) error {
	return r.scanMemberships(prefix(org), fn)
}

// scanMemberships calls fn with each membership whose key starts with pre,
// a prefix of whole fields ending in sep (an organisation's, or a
// member's), in key order, until fn returns false.
func (r *ReadTxn) scanMemberships(pre string, fn func(m model.Membership) bool) error {
	it, err := r.txn.LowerBound(tableMemberships, indexID, entityKeyOf(pre))
	if err != nil {
		return fmt.Errorf("store: scan memberships: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		for _, row := range raw.(*memberRow).rows {
			if !strings.HasPrefix(row.key, pre) || !fn(row.m) {
				return nil
			}
		}
	}
	return nil
}

// AddMembership stores m in org, reporting whether it was new (adding an
// existing membership changes nothing). The caller has validated m and
// checked it closes no cycle.
func (w *WriteTxn) AddMembership(org string, m model.Membership) (bool, error) {
	key := membershipKey(org, m)
	if w.hasMembershipKey(key) {
		return false, nil
	}
	owner, err := w.ownMember(entityKeyOf(key))
	if err != nil {
		return false, err
	}
	row := &membershipRow{key: key, m: m}
	owner.put(row)
	w.gx.membersByGroup.put(row)
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
	return true, nil
}

// AddMemberships stores each of ms in org as AddMembership would, returning
// how many were new, in one pass that is much faster than an AddMembership
// per membership: the new rows go into memdb in key order, one insert per
// member, so that it walks its tree once instead of copying a path per
// row, and into each group's row in one merge; the rows and their keys come
// in two allocations, not two a membership. The change set lists them in the
// order of ms. The caller has validated ms and checked that none closes a
// cycle. After an error the transaction must be aborted.
func (w *WriteTxn) AddMemberships(org string, ms []model.Membership) (int, error) {
	return w.AddMembershipsThen(org, ms, nil)
}

// AddMembershipsThen is AddMemberships calling staged, when it is not nil,
// once the change set (Pending) lists every new membership and before any
// is stored, as PutGrantsThen does. staged must not use the transaction.
func (w *WriteTxn) AddMembershipsThen(org string, ms []model.Membership, staged func()) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	rows := sortMembershipsByKey(newMembershipRows(org, ms))
	fresh := make([]bool, len(ms))
	added := make([]*membershipRow, 0, len(rows))
	// Each member's rows are merged with what is stored first, reading the
	// state w started from or w's own rows (never memdb through w), so
	// that the change set is whole before memdb is written.
	type merged struct {
		key  string
		own  *memberRow // w's row of the member, nil when w has none yet
		rows []*membershipRow
	}
	runs := 1
	for i := 1; i < len(rows); i++ {
		if rows[i].member != rows[i-1].member || rows[i].memberKey() != rows[i-1].memberKey() {
			runs++
		}
	}
	members := make([]merged, 0, runs)
	// A first load of the organisation finds no member stored: it looks
	// none up.
	orgHasMembers := false
	_ = w.Committed().Memberships(org, func(model.Membership) bool {
		orgHasMembers = true
		return false
	})
	for start := 0; start < len(rows); {
		key := rows[start].memberKey()
		end := start + 1
		for end < len(rows) && rows[end].memberKey() == key {
			end++
		}
		m := merged{key: key}
		var stored []*membershipRow
		if own, ok := w.ownMembers[key]; ok {
			m.own, stored = own, own.rows
		} else if orgHasMembers {
			row, err := w.Committed().memberIn(key)
			if err != nil {
				return 0, err
			}
			if row != nil {
				stored = row.rows
			}
		}
		n := len(added)
		m.rows, added = mergeMemberships(stored, rows[start:end], added, fresh)
		if len(added) > n { // a member whose memberships are all stored keeps its row
			members = append(members, m)
		}
		start = end
	}
	w.changes.Memberships = slices.Grow(w.changes.Memberships, len(added))
	for i, m := range ms {
		if fresh[i] {
			w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Org: org, Membership: m})
		}
	}
	if staged != nil {
		staged()
	}
	w.growOwnMembers(len(members))
	for _, m := range members {
		if m.own != nil {
			m.own.rows = m.rows
			continue
		}
		row := &memberRow{key: m.key, rows: m.rows}
		if err := w.txn.Insert(tableMemberships, row); err != nil {
			return 0, fmt.Errorf("store: put member: %w", err)
		}
		w.ownMembers[m.key] = row
	}
	w.gx.putMembers(added)
	return len(added), nil
}

// sortMembershipsByKey returns rows in key order, those of one key in their
// order. A call lists a member's memberships together (often) and holds
// several per member: ordering the distinct members, then each member's
// few memberships, compares far fewer keys than ordering them all.
func sortMembershipsByKey(rows []pendingMembership) []pendingMembership {
	cmpKeys := func(a, b pendingMembership) int { return strings.Compare(a.row.key, b.row.key) }
	if slices.IsSortedFunc(rows, cmpKeys) {
		return rows
	}
	bucket := make([]int32, len(rows))
	ids := make(map[string]int32, len(rows)/4) // a guess: members hold several memberships
	var members []string                       // by id
	prev := ""
	for i, p := range rows {
		mk := p.memberKey()
		if i > 0 && mk == prev {
			bucket[i] = bucket[i-1]
			continue
		}
		id, ok := ids[mk]
		if !ok {
			id = int32(len(members))
			ids[mk] = id
			members = append(members, mk)
		}
		bucket[i], prev = id, mk
	}
	order := identity(len(members))
	sortByString(order, func(id int32) string { return members[id] })
	sorted := scatter(rows, bucket, order)
	for start := 0; start < len(sorted); {
		mk := sorted[start].memberKey()
		end := start + 1
		for end < len(sorted) && sorted[end].memberKey() == mk {
			end++
		}
		if run := sorted[start:end]; !slices.IsSortedFunc(run, cmpKeys) {
			slices.SortStableFunc(run, cmpKeys)
		}
		start = end
	}
	return sorted
}

// bucketBy numbers the distinct keys of rows in the order they first come
// (bucket[i] is row i's number) and returns them by number: what scatter
// needs once the distinct keys are put in order, so that only they are
// sorted. hint is a guess at how many keys there are.
func bucketBy[R any, K comparable](rows []R, key func(R) K, hint int) (bucket []int32, keys []K) {
	bucket = make([]int32, len(rows))
	ids := make(map[K]int32, hint)
	for i, r := range rows {
		k := key(r)
		id, ok := ids[k]
		if !ok {
			id = int32(len(keys))
			ids[k] = id
			keys = append(keys, k)
		}
		bucket[i] = id
	}
	return bucket, keys
}

// identity returns 0, 1, …, n-1, the order of n buckets to sort.
func identity(n int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	return order
}

// scatter returns rows ordered by their buckets (bucket[i] is row i's), the
// buckets in order (a permutation of the bucket ids), each bucket's rows in
// their order: a counting sort.
func scatter[R any](rows []R, bucket []int32, order []int32) []R {
	start := make([]int, len(order))
	for _, b := range bucket {
		start[b]++
	}
	at := 0
	for _, b := range order {
		n := start[b]
		start[b] = at
		at += n
	}
	out := make([]R, len(rows))
	for i, r := range rows {
		out[start[bucket[i]]] = r
		start[bucket[i]]++
	}
	return out
}

// pendingMembership is a row AddMemberships may store, and the place of its
// membership in the call.
type pendingMembership struct {
	row *membershipRow
	pos int32
	// member is the length of the key's member part, its memdb row's
	// key (entityKeyOf), known when the key is made and never searched.
	member int32
}

func (p pendingMembership) memberKey() string { return p.row.key[:p.member] }

// newMembershipRows makes the rows of ms in org, in their order, from one
// block of rows and one string of their keys (as newLinkRows).
func newMembershipRows(org string, ms []model.Membership) []pendingMembership {
	keys := joinKeys(org, len(ms), func(i int) [4]string {
		m := ms[i]
		return [4]string{string(m.Member.Type), m.Member.ID, string(m.Group.Type), m.Group.ID}
	})
	block := make([]membershipRow, len(ms))
	rows := make([]pendingMembership, len(ms))
	for i, m := range ms {
		block[i] = membershipRow{key: keys[i], m: m}
		member := len(org) + len(sep) + len(m.Member.Type) + len(sep) + len(m.Member.ID)
		rows[i] = pendingMembership{row: &block[i], pos: int32(i), member: int32(member)}
	}
	return rows
}

// Committed opens a read transaction on the state w started from: what is
// stored without any of w's writes. Reading it, unlike reading w, leaves
// memdb's record of the nodes w already copied intact, so a writer that
// reads as it goes (a cycle check per membership) and knows its own writes
// reads here.
func (w *WriteTxn) Committed() *ReadTxn {
	if w.base == nil {
		w.base = w.store.last.Read()
	}
	return w.base
}

// RemoveMembership deletes m from org, reporting whether it was there.
func (w *WriteTxn) RemoveMembership(org string, m model.Membership) (bool, error) {
	key := membershipKey(org, m)
	if !w.hasMembershipKey(key) {
		return false, nil
	}
	owner, err := w.ownMember(entityKeyOf(key))
	if err != nil {
		return false, err
	}
	if row := owner.remove(key); row != nil {
		w.gx.membersByGroup.remove(row)
	}
	w.changes.Memberships = append(w.changes.Memberships, MembershipChange{Deleted: true, Org: org, Membership: m})
	return true, nil
}

// hasMembershipKey reports whether the membership of key is stored, without
// reading memdb through the write transaction: such a read makes memdb
// forget the nodes the transaction already copied, so that every later
// insert copies its whole path again. A member this transaction changed
// answers from its own row, any other from the state it started from.
func (w *WriteTxn) hasMembershipKey(key string) bool {
	member := entityKeyOf(key)
	row, ok := w.ownMembers[member]
	if !ok {
		var err error
		if row, err = w.Committed().memberIn(member); err != nil || row == nil {
			return false
		}
	}
	return row.find(key) != nil
}

// mergeMemberships returns the memberships of stored and of rows (both in
// ascending key order; rows may repeat a key, and hold keys stored holds)
// in one new slice in key order, each key once, the stored row or the
// first of rows standing; and added with the rows it took appended (each
// marked in fresh at its place in the call).
func mergeMemberships(stored []*membershipRow, rows []pendingMembership, added []*membershipRow, fresh []bool) ([]*membershipRow, []*membershipRow) {
	merged := make([]*membershipRow, 0, len(stored)+len(rows))
	i := 0
	for j, p := range rows {
		if j > 0 && p.row.key == rows[j-1].row.key {
			continue
		}
		for i < len(stored) && stored[i].key < p.row.key {
			merged = append(merged, stored[i])
			i++
		}
		if i < len(stored) && stored[i].key == p.row.key {
			continue
		}
		merged = append(merged, p.row)
		added = append(added, p.row)
		fresh[p.pos] = true
	}
	return append(merged, stored[i:]...), added
}
