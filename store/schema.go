package store

import (
	"fmt"
	"unsafe"

	"github.com/hashicorp/go-memdb"
)

// Table and index names.
const (
	tableGrants      = "grants"
	tableMemberships = "memberships"

	// indexID is memdb's primary index. Grants are stored a row per entity
	// (entities.go), under (org, entity), which also serves "by
	// organisation" as a prefix; grants by id and by grantee are found
	// through indexes beside memdb (grant_indexes.go says why). For
	// memberships it is (org, member), a row per member carrying its
	// memberships (members.go); memberships by group are a btree beside
	// memdb too (side_indexes.go).
	indexID = "id"
)

func newDBSchema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableGrants:      grantsTableSchema(),
		tableMemberships: membershipsTableSchema(),
		tableJobs:        jobsTableSchema(),
		tableJobSpecs:    jobSpecsTableSchema(),
		tableJobSteps:    jobStepsTableSchema(),
	}}
}

func grantsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableGrants,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*entityRow]{
				key: func(r *entityRow) string { return r.key },
			}},
		},
	}
}

func membershipsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMemberships,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*memberRow]{
				key: func(r *memberRow) string { return r.key },
			}},
		},
	}
}

// keyIndexer indexes rows of type R by a string key that the row computes
// directly (no reflection). Queries pass the raw key (or key prefix) as one
// string argument. Keys are handed to memdb without copying: row keys are
// immutable strings, and the radix tree only reads the bytes it is given.
type keyIndexer[R any] struct {
	key func(R) string
}

// FromObject implements memdb.SingleIndexer: the row's key.
func (ix keyIndexer[R]) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(R)
	if !ok {
		return false, nil, fmt.Errorf("store: indexer got %T", obj)
	}
	return true, stringBytes(ix.key(r)), nil
}

// FromArgs implements memdb.Indexer: the one string argument is the key.
func (ix keyIndexer[R]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("store: index takes one key argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("store: index key must be a string, got %T", args[0])
	}
	return stringBytes(s), nil
}

// PrefixFromArgs implements memdb.PrefixIndexer: a key prefix, as FromArgs.
func (ix keyIndexer[R]) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

// stringBytes views s as bytes without copying. The result must never be
// written to; memdb's radix tree only reads and slices keys.
func stringBytes(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
