package disk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
)

// BenchmarkJournalAppend appends commits of one grant, and of a 10k-grant
// batch, under each sync policy: the journal's cost per commit, without
// memdb.
func BenchmarkJournalAppend(b *testing.B) {
	now := time.Unix(1_700_000_000, 0).UTC()
	grant := func(i int) *model.Grant {
		return &model.Grant{ID: fmt.Sprintf("agrant_%020d", i), Org: "org_xyz789",
			Entity:  model.EntityRef{Type: "knowledge_slice", ID: fmt.Sprintf("kslice_%07d", i/10)},
			Grantee: model.User(fmt.Sprintf("usr_%06d", i%100_000)), Level: model.LevelRead,
			GrantedBy: "usr_owner", CreatedAt: now, UpdatedAt: now}
	}
	for _, size := range []int{1, 10_000} {
		batch := make([]store.GrantChange, size)
		for i := range batch {
			batch[i] = store.GrantChange{Grant: grant(i)}
		}
		for _, policy := range []disk.SyncPolicy{disk.SyncAlways, disk.SyncEverySecond, disk.SyncNever} {
			b.Run(fmt.Sprintf("%d/%s", size, policy), func(b *testing.B) {
				d, err := disk.Open(b.TempDir(), disk.Options{Sync: policy})
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				s, _ := store.New()
				if _, err := d.Load(s); err != nil {
					b.Fatal(err)
				}
				rev := uint64(0)
				for b.Loop() {
					rev++
					if err := d.Append(store.ChangeSet{Revision: rev, Grants: batch}, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
