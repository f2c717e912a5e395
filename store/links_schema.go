package store

import (
	"github.com/grantdb/grantdb/model"
	"github.com/hashicorp/go-memdb"
)

// The entity links table: one row per (org, child, parent). Its primary
// index is ordered by child, which serves "the parents of an entity" as a
// prefix; indexLinkParent serves "the children of an entity".
const (
	tableLinks      = "entity_links"
	indexLinkParent = "parent"
)

func linksTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableLinks,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*linkRow]{
				key: func(r *linkRow) string { return r.key },
			}},
			indexLinkParent: {Name: indexLinkParent, Unique: true, Indexer: keyIndexer[*linkRow]{
				key: func(r *linkRow) string { return linkParentKey(r.org, r.l) },
			}},
		},
	}
}

// linkKey is the unique key of a link, ordered by child; its prefix
// org+child selects an entity's direct parents.
func linkKey(org string, l model.EntityLink) string {
	return org + sep + l.Child.Type + sep + l.Child.ID + sep + l.Parent.Type + sep + l.Parent.ID
}

// linkParentKey orders links by parent; its prefix org+parent selects an
// entity's direct children.
func linkParentKey(org string, l model.EntityLink) string {
	return org + sep + l.Parent.Type + sep + l.Parent.ID + sep + l.Child.Type + sep + l.Child.ID
}
