package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

const org = "org_1"

// oracle is what one writer's acknowledged writes leave: each writer works
// on keys of its own, so the union of the oracles is the database every
// replica must end with.
type oracle struct {
	grants  map[string]model.Grant
	members map[model.Membership]bool
}

// writeLoad runs random writes of every kind on e until stop closes,
// keeping in o what was acknowledged. Only ErrDuplicate may refuse a write.
func writeLoad(t *testing.T, e *engine.Engine, writer int, stop <-chan struct{}, o *oracle) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(writer), 7))
	own := func() (string, bool) {
		for id := range o.grants { // map order is random enough
			return id, true
		}
		return "", false
	}
	input := func() model.GrantInput {
		grantee := model.User(fmt.Sprintf("w%d-u%d", writer, rng.IntN(8)))
		if rng.IntN(3) == 0 {
			grantee = model.Subject{Type: model.SubjectDepartment, ID: fmt.Sprintf("w%d-d%d", writer, rng.IntN(3))}
		}
		return model.GrantInput{
			Entity:  model.EntityRef{Type: "doc", ID: fmt.Sprintf("w%d-e%d", writer, rng.IntN(12))},
			Grantee: grantee, Level: model.Level(1 + rng.IntN(3)),
		}
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		var err error
		switch op := rng.IntN(20); {
		case op == 0:
			// A job's grants are checked across replicas, not against the
			// oracle: their ids are the job's.
			spec := bulk.JobSpec{Name: "load", RequestedBy: "admin", Operation: bulk.OpCreate, Grants: []model.GrantInput{
				{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("w%d-job%d", writer, rng.IntN(4))}, Grantee: model.User("jobuser"), Level: model.LevelRead},
			}}
			var sum bulk.JobSummary
			if sum, err = e.SubmitJob(ctx, org, spec); err == nil {
				_, err = e.WaitJob(ctx, org, sum.ID)
			}
		case op < 8:
			var g model.Grant
			if g, err = e.CreateGrant(ctx, org, input()); err == nil {
				o.grants[g.ID] = g
			}
		case op < 10:
			if id, ok := own(); ok {
				var g model.Grant
				if g, err = e.UpdateGrant(ctx, org, id, model.Level(1+rng.IntN(3))); err == nil {
					o.grants[id] = g
				}
			}
		case op < 14:
			if id, ok := own(); ok {
				if err = e.RevokeGrant(ctx, org, id); err == nil {
					delete(o.grants, id)
				}
			}
		case op < 16:
			items := []model.GrantInput{input(), input(), input(), input(), input()}
			var res bulk.Result
			if res, err = e.BulkCreate(ctx, org, items, bulk.Options{}); err == nil {
				for _, it := range res.Items {
					if it.Status == bulk.StatusCreated {
						o.grants[it.Grant.ID] = it.Grant
					}
				}
			}
		default:
			m := model.Membership{
				Member: model.User(fmt.Sprintf("w%d-u%d", writer, rng.IntN(8))),
				Group:  model.Subject{Type: model.SubjectDepartment, ID: fmt.Sprintf("w%d-d%d", writer, rng.IntN(3))},
			}
			if err = e.AddMembers(ctx, org, m); err == nil {
				o.members[m] = true
			}
		}
		if err != nil && !errors.Is(err, model.ErrDuplicate) {
			t.Errorf("writer %d: %v", writer, err)
			return
		}
	}
}

// allGrants lists every grant of org, page by page.
func allGrants(t *testing.T, e *engine.Engine) []model.Grant {
	t.Helper()
	var out []model.Grant
	q := model.GrantQuery{Limit: model.MaxPageSize}
	for {
		page, err := e.ListGrants(context.Background(), org, q)
		require.NoError(t, err)
		out = append(out, page.Grants...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

// answers is what one replica says to the read calls compared.
type answers struct {
	Revision    uint64
	Grants      []model.Grant
	Memberships []model.Membership
	Decisions   []any
	Changes     []model.Change
	Jobs        []bulk.JobSummary
}

func answersOf(t *testing.T, e *engine.Engine, writers int) answers {
	t.Helper()
	return answersAfter(t, e, writers, 0)
}

// answersAfter is answersOf with the changes after revision after only: a
// replica that started from a snapshot has no feed before it.
func answersAfter(t *testing.T, e *engine.Engine, writers int, after uint64) answers {
	t.Helper()
	ctx := context.Background()
	a := answers{Revision: e.Revision(), Grants: allGrants(t, e)}
	var err error
	a.Memberships, err = e.Memberships(ctx, org)
	require.NoError(t, err)
	for w := range writers {
		for u := range 8 {
			user := fmt.Sprintf("w%d-u%d", w, u)
			for d := range 12 {
				entity := model.EntityRef{Type: "doc", ID: fmt.Sprintf("w%d-e%d", w, d)}
				dec, err := e.Resolve(ctx, org, user, entity)
				require.NoError(t, err)
				ok, err := e.Check(ctx, org, user, entity, model.LevelWrite)
				require.NoError(t, err)
				a.Decisions = append(a.Decisions, dec, ok)
			}
		}
	}
	a.Changes, err = e.Changes(ctx, org, after, 1_000_000)
	require.NoError(t, err)
	a.Jobs, err = e.Jobs(ctx, org)
	require.NoError(t, err)
	return a
}

// TestReplicasConverge runs writers of every kind on three replicas of one
// stream kept by a 3-node JetStream cluster (stream replicas 3), then checks
// that the replicas reach one revision and answer every read alike, that
// their grants and memberships are exactly the acknowledged writes, and
// that a replica opened afterwards reads the log to the same answers. Jobs
// run on the replica holding the lease, whichever replica submitted them.
// Then one NATS node is killed, and writes go on.
func TestReplicasConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster")
	}
	nodes := startCluster(t)
	urls := []string{nodes[0].url(), nodes[1].url(), nodes[2].url()}
	replicatedStream(t, connect(t, urls...), "grants", 3)

	const writers = 3
	replicas := make([]*engine.Engine, writers)
	for i := range replicas {
		// Each replica talks to another node first; the lease (a bucket
		// with replicas 3) runs the jobs on one of them.
		js := connect(t, append(urls[i:], urls[:i]...)...)
		replicas[i] = openReplica(t, js, "grants", engine.WithLease(leaseFor(t, js, "grants", 3)))
	}
	oracles := make([]*oracle, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, e := range replicas {
		oracles[i] = &oracle{grants: map[string]model.Grant{}, members: map[model.Membership]bool{}}
		wg.Go(func() { writeLoad(t, e, i, stop, oracles[i]) })
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.False(t, t.Failed())

	rev := converge(t, replicas...)
	require.NotZero(t, rev)
	t.Logf("%d commits from %d replicas", rev, writers)
	want := answersOf(t, replicas[0], writers)
	for i, e := range replicas[1:] {
		assert.Equal(t, want, answersOf(t, e, writers), "replica %d answers otherwise than replica 0", i+1)
	}

	// The answers are the acknowledged writes, and only those.
	acked := map[string]model.Grant{}
	var members []model.Membership
	for _, o := range oracles {
		for id, g := range o.grants {
			acked[id] = g
		}
		for m := range o.members {
			members = append(members, m)
		}
	}
	stored := map[string]model.Grant{}
	for _, g := range want.Grants {
		if g.Grantee != model.User("jobuser") {
			stored[g.ID] = g
		}
	}
	assert.Equal(t, acked, stored)
	assert.ElementsMatch(t, members, want.Memberships)

	// A replica that joins later reads the whole log at Open.
	late := openReplica(t, connect(t, urls...), "grants")
	assert.Equal(t, want, answersOf(t, late, writers))

	// One NATS node gone: the other two are a quorum, and writes go on on
	// every replica (one in flight at the kill may fail, as its answer is
	// lost: it is tried again).
	nodes[0].stop()
	for i, e := range replicas {
		in := model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: "after-kill"}, Grantee: model.User(fmt.Sprintf("u%d", i)), Level: model.LevelRead}
		require.Eventually(t, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := e.CreateGrant(ctx, org, in)
			return err == nil || errors.Is(err, model.ErrDuplicate)
		}, wait, 100*time.Millisecond, "replica %d cannot write with one NATS node down", i)
	}
	converge(t, replicas...)
	want = answersOf(t, replicas[0], writers)
	for i, e := range replicas[1:] {
		assert.Equal(t, want, answersOf(t, e, writers), "replica %d after the kill", i+1)
	}
}

// TestSameGrantOnTwoReplicas creates the same grant on two replicas at once,
// again and again: exactly one of each pair succeeds, the other gets
// ErrDuplicate, and both replicas then hold the winner.
func TestSameGrantOnTwoReplicas(t *testing.T) {
	node := startNode(t)
	a := openReplica(t, connect(t, node.url()), "race")
	b := openReplica(t, connect(t, node.url()), "race")
	ctx := context.Background()
	for round := range 20 {
		in := model.GrantInput{
			Entity:  model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%d", round)},
			Grantee: model.User("alice"), Level: model.LevelWrite,
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, e := range []*engine.Engine{a, b} {
			wg.Go(func() {
				<-start
				_, errs[i] = e.CreateGrant(ctx, org, in)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, model.ErrDuplicate, "round %d", round)
			}
		}
		assert.Equal(t, 1, won, "round %d: %v", round, errs)
	}
	converge(t, a, b)
	ga, gb := allGrants(t, a), allGrants(t, b)
	assert.Len(t, ga, 20)
	assert.Equal(t, ga, gb)
}

// TestAllOrNothingRacesSingleWrite races an AllOrNothing batch against a
// single write of one of its keys: either the batch lands whole and the
// single write is a duplicate, or the single write lands and the batch is
// refused whole.
func TestAllOrNothingRacesSingleWrite(t *testing.T) {
	node := startNode(t)
	a := openReplica(t, connect(t, node.url()), "batch")
	b := openReplica(t, connect(t, node.url()), "batch")
	ctx := context.Background()
	for round := range 10 {
		var items []model.GrantInput
		for i := range 20 {
			items = append(items, model.GrantInput{
				Entity:  model.EntityRef{Type: "doc", ID: fmt.Sprintf("r%d-d%d", round, i)},
				Grantee: model.User("bob"), Level: model.LevelRead,
			})
		}
		var wg sync.WaitGroup
		var res bulk.Result
		var bulkErr, singleErr error
		start := make(chan struct{})
		wg.Go(func() { <-start; res, bulkErr = a.BulkCreate(ctx, org, items, bulk.Options{Mode: bulk.AllOrNothing}) })
		wg.Go(func() { <-start; _, singleErr = b.CreateGrant(ctx, org, items[13]) })
		close(start)
		wg.Wait()
		require.NoError(t, bulkErr)
		converge(t, a, b)
		got, err := a.ListGrants(ctx, org, model.GrantQuery{Grantee: model.User("bob"), Limit: model.MaxPageSize})
		require.NoError(t, err)
		var thisRound int
		for _, g := range got.Grants {
			if len(g.Entity.ID) > 3 && g.Entity.ID[:len(fmt.Sprintf("r%d-", round))] == fmt.Sprintf("r%d-", round) {
				thisRound++
			}
		}
		if res.Committed {
			assert.ErrorIs(t, singleErr, model.ErrDuplicate, "round %d", round)
			assert.Equal(t, 20, thisRound, "round %d: the batch landed whole", round)
		} else {
			assert.NoError(t, singleErr, "round %d", round)
			assert.Equal(t, 1, thisRound, "round %d: only the single write landed", round)
		}
	}
}

// TestNATSDownAndBack stops the only NATS server under a replica: writes
// fail with ErrNotReplicated within their deadline and reads go on from the
// last revision; once the server is back on its directory, writes resume
// and another replica sees them.
func TestNATSDownAndBack(t *testing.T) {
	node := startNode(t)
	e := openReplica(t, connect(t, node.url()), "outage")
	ctx := context.Background()
	before, err := e.CreateGrant(ctx, org, model.GrantInput{
		Entity: model.EntityRef{Type: "doc", ID: "d1"}, Grantee: model.User("alice"), Level: model.LevelRead,
	})
	require.NoError(t, err)
	rev := e.Revision()

	node.stop()
	down, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err = e.CreateGrant(down, org, model.GrantInput{
		Entity: model.EntityRef{Type: "doc", ID: "d2"}, Grantee: model.User("alice"), Level: model.LevelRead,
	})
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrNotReplicated)
	got, err := e.GetGrant(ctx, org, before.ID)
	require.NoError(t, err, "reads go on while NATS is down")
	assert.Equal(t, before, got)
	assert.Equal(t, rev, e.Revision())

	node.start()
	var after model.Grant
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		after, err = e.CreateGrant(ctx, org, model.GrantInput{
			Entity: model.EntityRef{Type: "doc", ID: "d3"}, Grantee: model.User("alice"), Level: model.LevelRead,
		})
		return err == nil
	}, wait, 100*time.Millisecond, "writes did not resume: %v", err)

	other := openReplica(t, connect(t, node.url()), "outage")
	converge(t, e, other)
	_, err = other.GetGrant(ctx, org, after.ID)
	assert.NoError(t, err)
	assert.Equal(t, allGrants(t, e), allGrants(t, other))
}
