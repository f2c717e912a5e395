package store

import (
	"github.com/grantdb/grantdb/model"
)

// Entity links are kept beside memdb, in two btrees of one row per (org,
// child, parent): linksByChild, ordered by the link's key, which serves
// "the parents of an entity" as a key prefix and every scan by child; and
// linksByParent, ordered by parent, "the children of an entity". A link in
// a memdb table cost its radix tree a node and a channel per level of a
// key of some 60 bytes: about 1 KiB and 1.4 µs a link of a batch
// (docs/design.md §4.2), where a btree of sorted rows costs a pointer.

// linkKey is the unique key of a link, ordered by child; its prefix
// org+child selects an entity's direct parents.
func linkKey(org string, l model.EntityLink) string {
	return org + sep + l.Child.Type + sep + l.Child.ID + sep + l.Parent.Type + sep + l.Parent.ID
}

func lessLinkKeys(a, b *linkRow) bool { return a.key < b.key }
