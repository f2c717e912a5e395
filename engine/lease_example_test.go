package engine_test

import (
	"context"
	"fmt"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// Two replicas share a log and a lease (here in memory; cluster.NewLease
// keeps it in a JetStream key-value bucket): the holder runs every job,
// whichever replica it was submitted on, and WaitJob waits for its end on
// any replica.
func ExampleWithLease() {
	log, lease := newMemLog(), newMemLease()
	a, _ := engine.Open(engine.WithLog(log), engine.WithLease(lease.as("a")))
	defer a.Close()
	for !a.Leading() { // a is alone: it takes the lease at once
		time.Sleep(time.Millisecond)
	}
	b, _ := engine.Open(engine.WithLog(log), engine.WithLease(lease.as("b")))
	defer b.Close()
	ctx := context.Background()

	sub, _ := b.SubmitJob(ctx, "org_1", bulk.JobSpec{Name: "onboard", RequestedBy: "admin", Operation: bulk.OpCreate,
		Grants: []model.GrantInput{{Entity: model.EntityRef{Type: "doc", ID: "roadmap"}, Grantee: model.User("alice"), Level: model.LevelRead}}})
	sum, err := b.WaitJob(ctx, "org_1", sub.ID)
	fmt.Println("job:", sum.Status, err)
	fmt.Println("a leads:", a.Leading(), "b leads:", b.Leading())
	// Output:
	// job: Succeeded <nil>
	// a leads: true b leads: false
}
