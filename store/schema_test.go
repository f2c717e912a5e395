package store

import (
	"testing"
	"unsafe"

	"github.com/grantdb/grantdb/model"
	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// indexerCase is one index of one table: a row and the key it must be
// indexed under.
type indexerCase struct {
	row any
	key string
}

// TestNewDBSchema_Indexers validates the schema and exercises every index's
// write form (FromObject), read form (FromArgs) and prefix form
// (PrefixFromArgs), in the manner of Consul's state store. A table or index
// added without a case here fails the test.
func TestNewDBSchema_Indexers(t *testing.T) {
	schema := newDBSchema()
	require.NoError(t, schema.Validate())

	g := model.Grant{
		ID: "agrant_1", Org: "org_xyz789",
		Entity:  model.EntityRef{Type: "knowledge_slice", ID: "kslice_abc123"},
		Grantee: model.User("usr_def456"), Level: model.LevelRead,
	}
	grant := &entityRow{key: entityKeyOf(newGrantRow(g).key), grants: []*grantRow{newGrantRow(g)}}
	m := model.Membership{Member: model.User("ann"), Group: model.Department("eng")}
	member := &memberRow{key: "org_xyz789\x00user\x00ann", rows: []*membershipRow{{key: membershipKey("org_xyz789", m), m: m}}}
	job := &jobRow{key: jobKey("org_xyz789", "job_1"), j: Job{Org: "org_xyz789", ID: "job_1"}}
	spec := &jobSpecRow{key: jobKey("org_xyz789", "job_1"), s: JobSpec{Org: "org_xyz789", JobID: "job_1"}}
	step := &jobStepRow{key: jobStepKey("org_xyz789", "job_1", 17), s: JobStep{Org: "org_xyz789", JobID: "job_1", Index: 17}}

	cases := map[string]map[string]indexerCase{
		tableGrants: {
			indexID: {grant, "org_xyz789\x00knowledge_slice\x00kslice_abc123"},
		},
		tableMemberships: {
			indexID: {member, "org_xyz789\x00user\x00ann"},
		},
		tableJobs: {
			indexID:    {job, "org_xyz789\x00job_1"},
			indexJobID: {job, "job_1"},
		},
		tableJobSpecs: {
			indexID: {spec, "org_xyz789\x00job_1"},
		},
		tableJobSteps: {
			indexID: {step, "org_xyz789\x00job_1\x0000000011"},
		},
	}

	for tableName, table := range schema.Tables {
		for indexName, index := range table.Indexes {
			t.Run(tableName+"/"+indexName, func(t *testing.T) {
				c, ok := cases[tableName][indexName]
				require.True(t, ok, "no indexer case for %s.%s: add one", tableName, indexName)
				ix, ok := index.Indexer.(memdb.SingleIndexer)
				require.True(t, ok, "indexer is not a SingleIndexer")
				prefixer, ok := index.Indexer.(memdb.PrefixIndexer)
				require.True(t, ok, "indexer is not a PrefixIndexer")

				// Write form: the row's key, as is (no terminator).
				found, key, err := ix.FromObject(c.row)
				require.NoError(t, err)
				assert.True(t, found)
				assert.Equal(t, c.key, string(key))

				// The write form refuses rows of another table.
				_, _, err = ix.FromObject(struct{}{})
				assert.Error(t, err)

				// Read form: one string, the key itself.
				args, err := index.Indexer.FromArgs(c.key)
				require.NoError(t, err)
				assert.Equal(t, c.key, string(args))

				// Prefix form: the same bytes, so that a prefix of fields
				// selects whole fields when it ends with sep.
				pre, err := prefixer.PrefixFromArgs(c.key[:len(c.key)/2])
				require.NoError(t, err)
				assert.Equal(t, c.key[:len(c.key)/2], string(pre))
				pre, err = prefixer.PrefixFromArgs("")
				require.NoError(t, err)
				assert.NotNil(t, pre)
				assert.Empty(t, pre)

				// Wrong arguments are errors, never panics.
				for _, bad := range [][]any{nil, {}, {c.key, c.key}, {42}, {[]byte(c.key)}, {nil}} {
					_, err := index.Indexer.FromArgs(bad...)
					assert.Error(t, err, "FromArgs(%v)", bad)
					_, err = prefixer.PrefixFromArgs(bad...)
					assert.Error(t, err, "PrefixFromArgs(%v)", bad)
				}
			})
		}
	}
	for tableName, indexes := range cases {
		require.Contains(t, schema.Tables, tableName)
		for indexName := range indexes {
			assert.Contains(t, schema.Tables[tableName].Indexes, indexName, "%s.%s", tableName, indexName)
		}
	}
}

// The grant row's strings all live inside its key (one allocation per row),
// but for its grantee type, which is the package's constant.
func TestGrantRowSharesItsKey(t *testing.T) {
	row := newGrantRow(model.Grant{
		ID: "agrant_1", Org: "o", Entity: model.EntityRef{Type: "t", ID: "e"}, Grantee: model.Role("r"),
	})
	assert.Equal(t, "o\x00t\x00e\x00role\x00r", row.key)
	assert.Equal(t, "o", row.g.Org)
	assert.Equal(t, model.EntityRef{Type: "t", ID: "e"}, row.g.Entity)
	assert.Equal(t, model.Role("r"), row.g.Grantee)
	lo := uintptr(unsafe.Pointer(unsafe.StringData(row.key)))
	hi := lo + uintptr(len(row.key))
	for _, s := range []string{row.g.Org, row.g.Entity.Type, row.g.Entity.ID, row.g.Grantee.ID} {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		assert.True(t, p >= lo && p < hi, "%q is not inside the key", s)
	}
	assert.Equal(t, unsafe.StringData(string(model.SubjectRole)), unsafe.StringData(string(row.g.Grantee.Type)))
}

// TestMembershipRowOrg: a membership row keeps no org of its own; it reads
// it from its key, whatever the lengths of the member's and group's fields.
func TestMembershipRowOrg(t *testing.T) {
	for _, tc := range []struct {
		org string
		m   model.Membership
	}{
		{"o", model.Membership{Member: model.User("a"), Group: model.Department("d")}},
		{"org_xyz789", model.Membership{Member: model.Department("engineering"), Group: model.Department("all")}},
		{"org_with_a_long_identifier_0123456789", model.Membership{Member: model.User("u_0123456789abcdef0123456789abcdef"), Group: model.Role("r")}},
	} {
		row := membershipRow{key: membershipKey(tc.org, tc.m), m: tc.m}
		assert.Equal(t, tc.org, row.org())
	}
	assert.Equal(t, uintptr(80), unsafe.Sizeof(membershipRow{}), "a row is its key and its membership")
}
