package store

import (
	"github.com/grantdb/grantdb/model"
	"github.com/hashicorp/go-memdb"
)

// The entity links table: one row per (org, child, parent), indexed by child
// only, which serves "the parents of an entity" as a prefix. "The children
// of an entity" is the side btree linksByParent (side_indexes.go), for the
// reason memberships by group left memdb: a second radix index would put
// every insert of a batch at a random place of one of two trees.
const tableLinks = "entity_links"

func linksTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableLinks,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*linkRow]{
				key: func(r *linkRow) string { return r.key },
			}},
		},
	}
}

// linkKey is the unique key of a link, ordered by child; its prefix
// org+child selects an entity's direct parents.
func linkKey(org string, l model.EntityLink) string {
	return org + sep + l.Child.Type + sep + l.Child.ID + sep + l.Parent.Type + sep + l.Parent.ID
}
