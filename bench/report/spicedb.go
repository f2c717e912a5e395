package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	caveattypes "github.com/authzed/spicedb/pkg/caveats/types"
	dscfg "github.com/authzed/spicedb/pkg/cmd/datastore"
	"github.com/authzed/spicedb/pkg/datalayer"
	"github.com/authzed/spicedb/pkg/datastore"
	"github.com/authzed/spicedb/pkg/embedded"
	"github.com/authzed/spicedb/pkg/tuple"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

const spicedbDesc = "pkg/embedded's in-process checker (no gRPC server) over the in-memory datastore (pkg/cmd/datastore, engine memory), unified schema with its schema cache; definitions user, department and role (relation member: user | <same type>#member); per entity type relations reader, writer, administrator and permissions admin = administrator, write = writer + admin, read = reader + write; relationships written in transactions of one batch each, memberships first, then the grants active at Epoch, entity by entity; dots in ids written as slashes (SpiceDB ids allow no dot)"

// spicedbSchemaMode is how the schema is stored and read: the unified
// schema, which pkg/embedded recommends together with its schema cache.
const spicedbSchemaMode = datalayer.SchemaModeReadNewWriteNew

// spicedbSchema returns the schema in SpiceDB's language: the same model as
// OpenFGA's. Relations and permissions share one namespace in a definition,
// so the relations that grants write are named apart from the levels that
// checks ask for.
func spicedbSchema(entityTypes []string) string {
	var b strings.Builder
	writeSpicedbSubjects(&b)
	for _, t := range entityTypes {
		fmt.Fprintf(&b, "definition %s {\n", t)
		for _, rel := range []string{"reader", "writer", "administrator"} {
			fmt.Fprintf(&b, "  relation %s: %s\n", rel, spicedbDirect)
		}
		b.WriteString("  permission admin = administrator\n  permission write = writer + admin\n  permission read = reader + write\n}\n")
	}
	return b.String()
}

// spicedbDirect is who a relation that a grant writes may name: a user or
// the members of a department or a role.
const spicedbDirect = "user | department#member | role#member"

// writeSpicedbSubjects writes the definitions of the subjects, which both
// schemas share: users, and departments and roles whose members are users
// or groups of the same type.
func writeSpicedbSubjects(b *strings.Builder) {
	b.WriteString("definition user {}\n")
	for _, group := range []string{"department", "role"} {
		fmt.Fprintf(b, "definition %s {\n  relation member: user | %s#member\n}\n", group, group)
	}
}

// spicedbRichDesc says how the rich model is held.
const spicedbRichDesc = "pkg/embedded's in-process checker (no gRPC server) over the in-memory datastore (pkg/cmd/datastore, engine memory), unified schema with its schema cache; definitions user, department and role (relation member: user | <same type>#member); per entity type, folder included, relations parent: folder, reader, writer, administrator (allows) and denied_read, denied_write, denied_admin (denies), permissions allow_<level> (the allows at that level or above, and parent->allow_<level>), deny_<level> (the denies at that level or below, and parent->deny_<level>) and admin, write, read as allow_<level> - deny_<level>; relationships written in transactions of one batch each, memberships first, then the links, then the grants active at Epoch, entity by entity; dots in ids written as slashes (SpiceDB ids allow no dot)"

// spicedbRichSchema returns the schema with denies and entities inside
// folders (docs/design.md §2.10–2.11), as OpenFGA's rich model has them:
// an allow gives its level and those below, a deny takes its level and
// those above, both apply below their entity along parent arrows, and a
// level is its allow less (exclusion) its deny. As there, each permission
// takes its entity's relations and one arrow up, never another permission
// of the same entity.
func spicedbRichSchema(entityTypes []string) string {
	var b strings.Builder
	writeSpicedbSubjects(&b)
	for _, t := range entityTypes {
		fmt.Fprintf(&b, "definition %s {\n  relation parent: %s\n", t, gen.FolderType)
		for _, rel := range []string{"reader", "writer", "administrator", "denied_read", "denied_write", "denied_admin"} {
			fmt.Fprintf(&b, "  relation %s: %s\n", rel, spicedbDirect)
		}
		b.WriteString(`  permission allow_admin = administrator + parent->allow_admin
  permission allow_write = writer + administrator + parent->allow_write
  permission allow_read = reader + writer + administrator + parent->allow_read
  permission deny_read = denied_read + parent->deny_read
  permission deny_write = denied_read + denied_write + parent->deny_write
  permission deny_admin = denied_read + denied_write + denied_admin + parent->deny_admin
  permission admin = allow_admin - deny_admin
  permission write = allow_write - deny_write
  permission read = allow_read - deny_read
}
`)
	}
	return b.String()
}

// spicedbRelation is the relation a grant of the level writes.
var spicedbRelation = map[model.Level]string{
	model.LevelRead: "reader", model.LevelWrite: "writer", model.LevelAdmin: "administrator",
}

// spicedbDenyRelation is the relation a deny of the level writes.
var spicedbDenyRelation = map[model.Level]string{
	model.LevelRead: "denied_read", model.LevelWrite: "denied_write", model.LevelAdmin: "denied_admin",
}

// spicedbID writes an id in the characters SpiceDB allows: the generator's
// department ids nest with dots, which it does not, and use no slash.
func spicedbID(id string) string { return strings.ReplaceAll(id, ".", "/") }

// spicedbSubjectOf names a grantee as a relationship's subject: a user, or
// the members of a group.
func spicedbSubjectOf(s model.Subject) tuple.ObjectAndRelation {
	if s.Type == model.SubjectUser {
		return tuple.ONR("user", spicedbID(s.ID), tuple.Ellipsis)
	}
	return tuple.ONR(string(s.Type), spicedbID(s.ID), "member")
}

// spicedbSubject is SpiceDB's permission engine in-process over its memory
// datastore.
type spicedbSubject struct {
	batch int
	// timeout bounds each check (zero: none).
	timeout time.Duration

	ds    datastore.Datastore
	perms *embedded.Permissions
	cov   *coverage
}

func (s *spicedbSubject) load(ctx context.Context, o *gen.Org, log *progress) (loaded, error) {
	return s.loadUntil(o, log, func() bool { return ctx.Err() != nil })
}

// loadUntil loads o, asking stop before each transaction whether to stop
// there.
func (s *spicedbSubject) loadUntil(o *gen.Org, log *progress, stop func() bool) (loaded, error) {
	bg := context.Background()
	rich := richOrg(o)
	schema := spicedbSchema(o.Config.EntityTypes)
	if rich {
		schema = spicedbRichSchema(entityTypes(o))
	}
	bootstrap := "schema: |-\n  " + strings.ReplaceAll(strings.TrimSpace(schema), "\n", "\n  ") + "\n"
	ds, err := dscfg.NewDatastore(bg,
		dscfg.DefaultDatastoreConfig().ToOption(),
		dscfg.WithEngine(dscfg.MemoryEngine),
		dscfg.WithEnableDatastoreMetrics(false),
		dscfg.SetBootstrapFileContents(map[string][]byte{"schema.yaml": []byte(bootstrap)}),
		dscfg.WithCaveatTypeSet(caveattypes.Default.TypeSet),
		dscfg.WithBootstrapSchemaMode(spicedbSchemaMode),
	)
	if err != nil {
		return loaded{}, fmt.Errorf("spicedb: datastore: %w", err)
	}
	s.ds = ds
	perms, err := embedded.NewPermissions(embedded.Config{
		Datastore: ds, SchemaMode: spicedbSchemaMode, SchemaCacheMaxCostBytes: 16 << 20,
	})
	if err != nil {
		return loaded{}, fmt.Errorf("spicedb: permissions: %w", err)
	}
	s.perms = perms

	grants := activeGrants(o)
	s.cov = newCoverage(o, grants)
	total := len(o.Memberships) + len(o.Links) + len(grants)
	updates := make([]tuple.RelationshipUpdate, 0, total)
	for _, m := range o.Memberships {
		updates = append(updates, tuple.Create(tuple.Relationship{RelationshipReference: tuple.RelationshipReference{
			Resource: tuple.ONR(string(m.Group.Type), spicedbID(m.Group.ID), "member"),
			Subject:  spicedbSubjectOf(m.Member),
		}}))
	}
	for _, l := range o.Links {
		updates = append(updates, tuple.Create(tuple.Relationship{RelationshipReference: tuple.RelationshipReference{
			Resource: tuple.ONR(l.Child.Type, spicedbID(l.Child.ID), "parent"),
			Subject:  tuple.ONR(l.Parent.Type, spicedbID(l.Parent.ID), tuple.Ellipsis),
		}}))
	}
	for _, g := range grants {
		relation := spicedbRelation[g.Level]
		if g.Effect == model.EffectDeny {
			relation = spicedbDenyRelation[g.Level]
		}
		updates = append(updates, tuple.Create(tuple.Relationship{RelationshipReference: tuple.RelationshipReference{
			Resource: tuple.ONR(g.Entity.Type, spicedbID(g.Entity.ID), relation),
			Subject:  spicedbSubjectOf(g.Grantee),
		}}))
	}

	dl := datalayer.NewDataLayer(ds, datalayer.WithSchemaMode(spicedbSchemaMode))
	return writeInBatches(o, grants, s.batch, s.cov, log, stop, "spicedb", "relationships", func(from, to int) error {
		chunk := updates[from:to]
		_, err := dl.ReadWriteTx(bg, func(ctx context.Context, rwt datalayer.ReadWriteTransaction) error {
			return rwt.WriteRelationships(ctx, chunk)
		})
		if err != nil {
			return fmt.Errorf("spicedb: write at relationship %d: %w", from, err)
		}
		return nil
	})
}

func (s *spicedbSubject) check(q gen.Query) (bool, error) {
	ctx := context.Background()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	res, err := s.perms.Check(ctx, embedded.CheckRequest{
		ResourceType: q.Entity.Type, ResourceID: spicedbID(q.Entity.ID), Permission: q.Level.String(),
		SubjectType: "user", SubjectID: spicedbID(q.User),
	})
	if err != nil {
		return false, err
	}
	return res.HasPermission, nil
}

func (s *spicedbSubject) covers(q gen.Query) bool { return s.cov != nil && s.cov.covers(q.Entity) }

func (s *spicedbSubject) close() {
	if s.perms != nil {
		_ = s.perms.Close()
	}
	if s.ds != nil {
		_ = s.ds.Close()
	}
}
