package store_test

import (
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStagedBeforeStored: AddLinksThen and AddMembershipsThen call staged
// once, when the change set lists every new row (and none that was stored
// already) and before any row is stored; the rows are stored after it.
func TestStagedBeforeStored(t *testing.T) {
	d1, f1, f2 := ent("document", "d1"), ent("folder", "f1"), ent("folder", "f2")
	eng, ann := model.Department("eng"), model.User("ann")
	for _, tc := range []struct {
		name   string
		stored func(w *store.WriteTxn) error // committed before the call
		call   func(w *store.WriteTxn, staged func()) (int, error)
		// pending is the length of the change set's list of the call's
		// kind; isStored reports whether a new row is readable
		pending  func(cs store.ChangeSet) int
		isStored func(r *store.ReadTxn) bool
	}{
		{
			name: "links",
			stored: func(w *store.WriteTxn) error {
				_, err := w.AddLink("org", link(d1, f1))
				return err
			},
			call: func(w *store.WriteTxn, staged func()) (int, error) {
				return w.AddLinksThen("org", []model.EntityLink{link(d1, f2), link(d1, f1), link(f2, f1)}, staged)
			},
			pending:  func(cs store.ChangeSet) int { return len(cs.Links) },
			isStored: func(r *store.ReadTxn) bool { return r.HasLink("org", link(d1, f2)) },
		},
		{
			name: "memberships",
			stored: func(w *store.WriteTxn) error {
				_, err := w.AddMembership("org", member(ann, eng))
				return err
			},
			call: func(w *store.WriteTxn, staged func()) (int, error) {
				ops := model.Department("ops")
				return w.AddMembershipsThen("org", []model.Membership{member(ann, ops), member(ann, eng), member(ops, eng)}, staged)
			},
			pending:  func(cs store.ChangeSet) int { return len(cs.Memberships) },
			isStored: func(r *store.ReadTxn) bool { return r.HasMembership("org", member(ann, model.Department("ops"))) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			w := s.Write()
			require.NoError(t, tc.stored(w))
			_, before := w.Commit()

			w = s.Write()
			calls := 0
			n, err := tc.call(w, func() {
				calls++
				assert.Equal(t, 2, tc.pending(w.Pending()), "the change set lists the new rows only")
				assert.False(t, tc.isStored(&w.ReadTxn), "nothing is stored yet")
			})
			require.NoError(t, err)
			assert.Equal(t, 1, calls)
			assert.Equal(t, 2, n)
			_, after := w.Commit()
			assert.True(t, tc.isStored(after.Read()), "stored after staged")
			assert.False(t, tc.isStored(before.Read()))
		})
	}
}
