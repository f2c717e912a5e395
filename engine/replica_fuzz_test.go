package engine_test

import (
	"context"
	"testing"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// FuzzReplicaOpensOnAnyRecord puts arbitrary bytes in a log as its first
// record: a replica opening on it either applies it as revision 1 or fails
// Open with an error naming the record, never panics.
func FuzzReplicaOpensOnAnyRecord(f *testing.F) {
	l := newMemLog()
	e, err := engine.Open(engine.WithLog(l))
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.CreateGrant(ctx, "org_1", grantIn("d1", "alice")); err != nil {
		f.Fatal(err)
	}
	if err := e.AddMembers(ctx, "org_1", model.Membership{Member: model.User("bob"), Group: model.Subject{Type: model.SubjectRole, ID: "r"}}); err != nil {
		f.Fatal(err)
	}
	_ = e.Close()
	for _, r := range l.recs {
		f.Add(r)
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 0, 2, 1})
	f.Fuzz(func(t *testing.T, rec []byte) {
		l := newMemLog()
		if _, err := l.Append(context.Background(), 0, rec); err != nil {
			t.Fatal(err)
		}
		e, err := engine.Open(engine.WithLog(l), engine.WithSweepInterval(0))
		if err != nil {
			return
		}
		defer e.Close()
		if e.Revision() != 1 {
			t.Fatalf("opened at revision %d on one record", e.Revision())
		}
	})
}
