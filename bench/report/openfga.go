package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
	"github.com/openfga/language/pkg/go/transformer"
	"github.com/openfga/openfga/pkg/server"
	"github.com/openfga/openfga/pkg/storage/memory"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

const openfgaDesc = "embedded server (pkg/server) over the in-memory datastore, in-process Go API, default caches (off); types user, department and role (member: [user, <same type>#member]); per entity type admin, write (direct or admin), read (direct or write); memberships written first, then the grants active at Epoch, entity by entity"

const openfgaRichDesc = "embedded server (pkg/server) over the in-memory datastore, in-process Go API, default caches (off); types user, department and role (member: [user, <same type>#member]); per entity type, folder included, parent: [folder], direct relations reader, writer, administrator (allows) and denied_read, denied_write, denied_admin (denies), allow_<level> (the allows at that level or above, or allow_<level> from parent), deny_<level> (the denies at that level or below, or deny_<level> from parent), and admin, write, read as allow_<level> but not deny_<level>; memberships written first, then the links (parent tuples), then the grants active at Epoch, entity by entity"

// openfgaModel returns the authorization model in OpenFGA's DSL: groups
// whose members are users or the members of a nested group of their type,
// and per entity type the three levels, each including the one above.
func openfgaModel(entityTypes []string) string {
	var b strings.Builder
	openfgaGroups(&b)
	for _, t := range entityTypes {
		fmt.Fprintf(&b, "type %s\n  relations\n", t)
		fmt.Fprintf(&b, "    define admin: %s\n", openfgaDirect)
		fmt.Fprintf(&b, "    define write: %s or admin\n", openfgaDirect)
		fmt.Fprintf(&b, "    define read: %s or write\n", openfgaDirect)
	}
	return b.String()
}

// openfgaDirect is who a grant may name: a user or a group's members.
const openfgaDirect = "[user, department#member, role#member]"

func openfgaGroups(b *strings.Builder) {
	b.WriteString("model\n  schema 1.1\ntype user\n")
	for _, group := range []string{"department", "role"} {
		fmt.Fprintf(b, "type %s\n  relations\n    define member: [user, %s#member]\n", group, group)
	}
}

// openfgaRichModel returns the model with denies and entities inside
// folders (docs/design.md §2.10–2.11). Grants are written to the direct
// relations: allows to reader, writer and administrator, denies to
// denied_read, denied_write and denied_admin. An allow at a level gives the
// levels below it, and applies below its entity (from parent); a deny at a
// level takes it and every level above it, below its entity too. So
// allow_read is any allow on the entity or, through allow_read from parent,
// above it; deny_write is a write or read deny on the entity or above it;
// and a level is its allow but not its deny. Each name takes the direct
// relations of its entity and one step up, never another computed name of
// the same entity, so that a check visits each folder above once per name
// instead of once per path through the names.
func openfgaRichModel(entityTypes []string) string {
	var b strings.Builder
	openfgaGroups(&b)
	for _, t := range entityTypes {
		fmt.Fprintf(&b, "type %s\n  relations\n", t)
		fmt.Fprintf(&b, "    define parent: [%s]\n", gen.FolderType)
		for _, rel := range []string{"reader", "writer", "administrator", "denied_read", "denied_write", "denied_admin"} {
			fmt.Fprintf(&b, "    define %s: %s\n", rel, openfgaDirect)
		}
		b.WriteString(`    define allow_admin: administrator or allow_admin from parent
    define allow_write: writer or administrator or allow_write from parent
    define allow_read: reader or writer or administrator or allow_read from parent
    define deny_read: denied_read or deny_read from parent
    define deny_write: denied_read or denied_write or deny_write from parent
    define deny_admin: denied_read or denied_write or denied_admin or deny_admin from parent
    define admin: allow_admin but not deny_admin
    define write: allow_write but not deny_write
    define read: allow_read but not deny_read
`)
	}
	return b.String()
}

// openfgaRelation is the direct relation a grant of the rich model writes.
func openfgaRelation(g model.GrantInput) string {
	if g.Effect == model.EffectDeny {
		return spicedbDenyRelation[g.Level]
	}
	return spicedbRelation[g.Level]
}

// openfgaSubject is OpenFGA's server in-process over its memory datastore.
type openfgaSubject struct {
	batch   int
	timeout time.Duration

	srv     *server.Server
	storeID string
	modelID string
	cov     *coverage
}

// openfgaUser names a grantee as a tuple's user: a user, or the members of
// a group.
func openfgaUser(s model.Subject) string {
	if s.Type == model.SubjectUser {
		return "user:" + s.ID
	}
	return string(s.Type) + ":" + s.ID + "#member"
}

func (s *openfgaSubject) load(ctx context.Context, o *gen.Org, log *progress) (loaded, error) {
	return s.loadUntil(o, log, func() bool { return ctx.Err() != nil })
}

// loadUntil loads o, asking stop before each Write whether to stop there.
func (s *openfgaSubject) loadUntil(o *gen.Org, log *progress, stop func() bool) (loaded, error) {
	srv, err := server.NewServerWithOpts(
		server.WithDatastore(memory.New(memory.WithMaxTuplesPerWrite(s.batch))),
		server.WithRequestTimeout(s.timeout),
	)
	if err != nil {
		return loaded{}, fmt.Errorf("openfga: server: %w", err)
	}
	s.srv = srv
	bg := context.Background()
	store, err := srv.CreateStore(bg, &openfgav1.CreateStoreRequest{Name: o.ID})
	if err != nil {
		return loaded{}, fmt.Errorf("openfga: CreateStore: %w", err)
	}
	s.storeID = store.GetId()
	rich := richOrg(o)
	dsl := openfgaModel(o.Config.EntityTypes)
	if rich {
		dsl = openfgaRichModel(entityTypes(o))
	}
	am, err := transformer.TransformDSLToProto(dsl)
	if err != nil {
		return loaded{}, fmt.Errorf("openfga: model: %w", err)
	}
	wm, err := srv.WriteAuthorizationModel(bg, &openfgav1.WriteAuthorizationModelRequest{
		StoreId: s.storeID, TypeDefinitions: am.GetTypeDefinitions(),
		SchemaVersion: am.GetSchemaVersion(), Conditions: am.GetConditions(),
	})
	if err != nil {
		return loaded{}, fmt.Errorf("openfga: WriteAuthorizationModel: %w", err)
	}
	s.modelID = wm.GetAuthorizationModelId()

	grants := activeGrants(o)
	s.cov = newCoverage(o, grants)
	total := len(o.Memberships) + len(o.Links) + len(grants)
	tuples := make([]*openfgav1.TupleKey, 0, total)
	for _, m := range o.Memberships {
		tuples = append(tuples, &openfgav1.TupleKey{
			Object: string(m.Group.Type) + ":" + m.Group.ID, Relation: "member", User: openfgaUser(m.Member)})
	}
	for _, l := range o.Links {
		tuples = append(tuples, &openfgav1.TupleKey{
			Object: l.Child.Type + ":" + l.Child.ID, Relation: "parent", User: l.Parent.Type + ":" + l.Parent.ID})
	}
	for _, g := range grants {
		relation := g.Level.String()
		if rich {
			relation = openfgaRelation(g)
		}
		tuples = append(tuples, &openfgav1.TupleKey{
			Object: g.Entity.Type + ":" + g.Entity.ID, Relation: relation, User: openfgaUser(g.Grantee)})
	}

	return writeInBatches(o, grants, s.batch, s.cov, log, stop, "openfga", "tuples", func(from, to int) error {
		_, err := srv.Write(bg, &openfgav1.WriteRequest{
			StoreId: s.storeID, AuthorizationModelId: s.modelID,
			Writes: &openfgav1.WriteRequestWrites{TupleKeys: tuples[from:to]},
		})
		if err != nil {
			return fmt.Errorf("openfga: Write at tuple %d: %w", from, err)
		}
		return nil
	})
}

func (s *openfgaSubject) check(q gen.Query) (bool, error) {
	resp, err := s.srv.Check(context.Background(), &openfgav1.CheckRequest{
		StoreId: s.storeID, AuthorizationModelId: s.modelID,
		TupleKey: &openfgav1.CheckRequestTupleKey{
			User: "user:" + q.User, Relation: q.Level.String(), Object: q.Entity.Type + ":" + q.Entity.ID},
	})
	if err != nil {
		return false, err
	}
	return resp.GetAllowed(), nil
}

func (s *openfgaSubject) covers(q gen.Query) bool { return s.cov != nil && s.cov.covers(q.Entity) }

func (s *openfgaSubject) close() {
	if s.srv != nil {
		s.srv.Close()
	}
}
