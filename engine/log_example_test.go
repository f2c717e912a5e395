package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// Two replicas share one log (here in memory; cluster.NATS keeps it in a
// JetStream stream): a write on one is read on the other once it has
// reached the writer's revision.
func ExampleWithLog() {
	log := newMemLog()
	a, _ := engine.Open(engine.WithLog(log))
	defer a.Close()
	b, _ := engine.Open(engine.WithLog(log))
	defer b.Close()
	ctx := context.Background()

	doc := model.EntityRef{Type: "doc", ID: "roadmap"}
	_, err := a.CreateGrant(ctx, "org_1", model.GrantInput{Entity: doc, Grantee: model.User("alice"), Level: model.LevelWrite})
	fmt.Println("written on a:", err)

	// Read-your-writes on b: wait for a's revision, then read locally.
	_ = b.WaitRevision(ctx, a.Revision())
	ok, _ := b.Check(ctx, "org_1", "alice", doc, model.LevelWrite)
	fmt.Println("alice may write, says b:", ok)

	_, err = b.CreateGrant(ctx, "org_1", model.GrantInput{Entity: doc, Grantee: model.User("alice"), Level: model.LevelRead})
	fmt.Println("again on b is a duplicate:", errors.Is(err, model.ErrDuplicate))
	// Output:
	// written on a: <nil>
	// alice may write, says b: true
	// again on b is a duplicate: true
}

// A replica stores a snapshot beside the log (here in memory;
// cluster.NATS keeps it in a JetStream object store): a replica that starts
// empty loads it, then reads the log after it.
func ExampleEngine_PublishSnapshot() {
	log := newMemSnapshotLog()
	a, _ := engine.Open(engine.WithLog(log))
	defer a.Close()
	ctx := context.Background()
	doc := model.EntityRef{Type: "doc", ID: "roadmap"}
	_, _ = a.CreateGrant(ctx, "org_1", model.GrantInput{Entity: doc, Grantee: model.User("alice"), Level: model.LevelWrite})

	info, err := a.PublishSnapshot(ctx)
	fmt.Println("snapshot after record", info.Seq, "at revision", info.Revision, err)

	_, _ = a.CreateGrant(ctx, "org_1", model.GrantInput{Entity: doc, Grantee: model.User("bob"), Level: model.LevelRead})
	b, _ := engine.Open(engine.WithLog(log))
	defer b.Close()
	ok, _ := b.Check(ctx, "org_1", "bob", doc, model.LevelRead)
	fmt.Println("b opens at revision", b.Revision(), "and bob may read:", ok)
	// Output:
	// snapshot after record 1 at revision 1 <nil>
	// b opens at revision 2 and bob may read: true
}
