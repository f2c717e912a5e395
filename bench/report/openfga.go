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

// openfgaModel returns the authorization model in OpenFGA's DSL: groups
// whose members are users or the members of a nested group of their type,
// and per entity type the three levels, each including the one above.
func openfgaModel(entityTypes []string) string {
	var b strings.Builder
	b.WriteString("model\n  schema 1.1\ntype user\n")
	for _, group := range []string{"department", "role"} {
		fmt.Fprintf(&b, "type %s\n  relations\n    define member: [user, %s#member]\n", group, group)
	}
	const direct = "[user, department#member, role#member]"
	for _, t := range entityTypes {
		fmt.Fprintf(&b, "type %s\n  relations\n", t)
		fmt.Fprintf(&b, "    define admin: %s\n", direct)
		fmt.Fprintf(&b, "    define write: %s or admin\n", direct)
		fmt.Fprintf(&b, "    define read: %s or write\n", direct)
	}
	return b.String()
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
	am, err := transformer.TransformDSLToProto(openfgaModel(o.Config.EntityTypes))
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
	s.cov = newCoverage(grants)
	total := len(o.Memberships) + len(grants)
	tuples := make([]*openfgav1.TupleKey, 0, total)
	for _, m := range o.Memberships {
		tuples = append(tuples, &openfgav1.TupleKey{
			Object: string(m.Group.Type) + ":" + m.Group.ID, Relation: "member", User: openfgaUser(m.Member)})
	}
	for _, g := range grants {
		tuples = append(tuples, &openfgav1.TupleKey{
			Object: g.Entity.Type + ":" + g.Entity.ID, Relation: g.Level.String(), User: openfgaUser(g.Grantee)})
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
