package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// The feed is complete: replaying engine A's feed into a fresh engine B
// (same clock, same configuration) gives B the answers of A to every read
// call, after every write of A. A takes random writes of every kind the
// engine has — grants created, updated and revoked, batches of every mode,
// memberships added and removed, links made and unmade, jobs of every
// operation, expiry sweeps — in two organisations. B takes nothing but A's
// Changes, installed through engine.ApplyChange (a test-only path: the
// public API cannot install a grant with its id).
//
// The job rows are not in the feed, so the job calls are not compared.
func TestReplayingTheFeedReproducesEveryAnswer(t *testing.T) {
	runReplay(t, false)
}

// The same holds when A is durable, checkpoints every few commits and is
// closed and reopened on its directory at random points of the run: B, in
// memory and never restarted, goes on reading A's feed from the revision
// it last applied, so the commits A made since B's last read before a
// Close must come back from A's journal, though checkpoints cover them.
// After each reopen, before any new write, B catches up and every read
// call is compared again.
func TestReplayingTheDurableFeedAcrossReopensAndCheckpoints(t *testing.T) {
	runReplay(t, true)
}

func runReplay(t *testing.T, durable bool) {
	seeds, steps := []uint64{1, 2, 3}, 120
	if testing.Short() {
		seeds, steps = seeds[:1], 80
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := newReplayRun(t, seed, durable)
			for step := range steps {
				r.step()
				if durable && r.rng.IntN(15) == 0 {
					// B lags by a few commits across the reopen.
					for range r.rng.IntN(4) {
						r.step()
					}
					r.reopen()
				}
				r.catchUp()
				r.compare(fmt.Sprintf("seed %d step %d (A at revision %d, reopened %d times)", seed, step, r.a.Revision(), r.reopens))
				if t.Failed() {
					return
				}
			}
			if durable {
				r.reopen()
				r.catchUp()
				r.compare(fmt.Sprintf("seed %d after the last reopen", seed))
				require.Positive(t, r.reopens)
				snaps, err := filepath.Glob(filepath.Join(r.dir, "snapshot-*.buntdb"))
				require.NoError(t, err)
				require.NotEmpty(t, snaps, "a checkpoint was taken")
			}
			r.checkWatchAgreed()
		})
	}
}

var (
	replayOrgs     = []string{testOrg, otherOrg}
	replayUsers    = []string{"u0", "u1", "u2", "u3"}
	replayGroups   = []model.Subject{model.Role("r0"), model.Role("r1"), model.Role("r2"), model.Department("p0"), model.Department("p1")}
	replayEntities = []model.EntityRef{doc("d0"), doc("d1"), doc("d2"), doc("d3"), folder("f0")}
	replayLevels   = []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin}
)

type replayRun struct {
	t     *testing.T
	rng   *rand.Rand
	clock *fakeClock
	a, b  *engine.Engine
	// dir is A's directory when A is durable, else empty; reopens counts
	// A's restarts.
	dir     string
	reopens int
	// pos is, per organisation, the last revision of A's feed B applied.
	pos map[string]uint64
	// ids are every grant id A ever returned.
	ids map[string]bool
	// A watcher of A's testOrg feed runs alongside the writes: seen is
	// what the watchers of A's earlier lives saw, watched delivers what
	// the current one saw once stop ends it.
	seen    []model.Change
	watched chan []model.Change
	stop    context.CancelFunc
}

// replayCheckpointRecords makes a durable A checkpoint every few commits,
// so that most reopens start from a snapshot and read the feed's window
// from the journal it kept.
const replayCheckpointRecords = 7

func newReplayRun(t *testing.T, seed uint64, durable bool) *replayRun {
	r := &replayRun{
		t: t, rng: rand.New(rand.NewPCG(seed, 13)), clock: newFakeClock(t0),
		pos: map[string]uint64{}, ids: map[string]bool{},
	}
	if durable {
		r.dir = t.TempDir()
	}
	r.a, r.b = r.openA(), r.open()
	r.watch(0)
	return r
}

// open opens an in-memory engine of the run's configuration.
func (r *replayRun) open(opts ...engine.Option) *engine.Engine {
	e, err := engine.Open(append([]engine.Option{engine.WithClock(r.clock.Now), engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(r.t, err)
	r.t.Cleanup(func() { _ = e.Close() })
	return e
}

// openA opens A: in memory, or durable on the run's directory.
func (r *replayRun) openA() *engine.Engine {
	if r.dir == "" {
		return r.open()
	}
	return r.open(engine.WithPath(r.dir), engine.WithCheckpointEvery(replayCheckpointRecords, 0))
}

// watch starts the live watcher of A's testOrg feed after revision after.
func (r *replayRun) watch(after uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	r.t.Cleanup(cancel)
	r.stop, r.watched = cancel, make(chan []model.Change, 1)
	a, watched := r.a, r.watched
	go func() {
		var seen []model.Change
		for ch, err := range a.Watch(ctx, testOrg, after) {
			if err != nil {
				break
			}
			seen = append(seen, ch)
		}
		watched <- seen
	}()
}

// stopWatch ends the live watcher and keeps what it saw.
func (r *replayRun) stopWatch() {
	r.stop()
	r.seen = append(r.seen, <-r.watched...)
}

// reopen closes A and opens it again on its directory, with the same clock
// and options. A Watch ends with its engine, so the live watcher is
// restarted on the new A from the last revision it saw: the watchers of
// all of A's lives together must see the feed Changes returns.
func (r *replayRun) reopen() {
	r.stopWatch()
	require.NoError(r.t, r.a.Close())
	r.a = r.openA()
	r.reopens++
	var last uint64
	if len(r.seen) > 0 {
		last = r.seen[len(r.seen)-1].Revision
	}
	r.watch(last)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func (r *replayRun) subject() model.Subject {
	if r.rng.IntN(2) == 0 {
		return model.User(pick(r.rng, replayUsers))
	}
	return pick(r.rng, replayGroups)
}

func (r *replayRun) input() model.GrantInput {
	in := model.GrantInput{
		Entity: pick(r.rng, replayEntities), Grantee: r.subject(),
		Level: pick(r.rng, replayLevels), GrantedBy: "usr_admin",
	}
	if r.rng.IntN(5) == 0 {
		in.Effect = model.EffectDeny
	}
	now := r.clock.Now()
	switch r.rng.IntN(4) {
	case 0:
		in.EffectiveTo = now.Add(time.Duration(20+r.rng.IntN(100)) * time.Minute)
	case 1:
		in.EffectiveFrom = now.Add(time.Hour)
	}
	return in
}

func (r *replayRun) knownID(org string) (string, bool) {
	gs := listAll(r.t, r.a, org, model.GrantQuery{})
	if len(gs) == 0 {
		return "", false
	}
	return pick(r.rng, gs).ID, true
}

// step makes one random write on A. Refusals (duplicates, cycles) are
// part of the game; any other error fails the test.
func (r *replayRun) step() {
	ctx := context.Background()
	org := pick(r.rng, replayOrgs)
	var err error
	switch op := r.rng.IntN(100); {
	case op < 25:
		var g model.Grant
		g, err = r.a.CreateGrant(ctx, org, r.input())
		r.ids[g.ID] = err == nil
	case op < 35:
		if id, ok := r.knownID(org); ok {
			_, err = r.a.UpdateGrant(ctx, org, id, pick(r.rng, replayLevels))
		}
	case op < 43:
		if id, ok := r.knownID(org); ok {
			err = r.a.RevokeGrant(ctx, org, id)
		}
	case op < 55:
		items := make([]model.GrantInput, 1+r.rng.IntN(8))
		for i := range items {
			items[i] = r.input()
		}
		mode := pick(r.rng, []bulk.Mode{bulk.SkipDuplicates, bulk.AllOrNothing, bulk.Upsert})
		var res bulk.Result
		res, err = r.a.BulkCreate(ctx, org, items, bulk.Options{Mode: mode})
		for _, it := range res.Items {
			if it.Grant.ID != "" {
				r.ids[it.Grant.ID] = true
			}
		}
	case op < 68:
		err = r.a.AddMembers(ctx, org, r.membership())
	case op < 75:
		err = r.a.RemoveMembers(ctx, org, r.membership(), r.membership())
	case op < 87:
		r.job(ctx, org)
	case op < 91:
		r.clock.Advance(time.Duration(10+r.rng.IntN(80)) * time.Minute)
		_, err = engine.SweepNow(ctx, r.a)
	case op < 94:
		err = r.a.LinkEntities(ctx, org, r.link())
	case op < 96:
		err = r.a.UnlinkEntities(ctx, org, r.link(), r.link())
	default:
		r.clock.Advance(time.Duration(1+r.rng.IntN(60)) * time.Minute)
	}
	if err != nil && !errors.Is(err, model.ErrDuplicate) && !errors.Is(err, model.ErrConflict) {
		require.NoError(r.t, err)
	}
}

func (r *replayRun) membership() model.Membership {
	g := pick(r.rng, replayGroups)
	if r.rng.IntN(3) > 0 {
		return model.Membership{Member: model.User(pick(r.rng, replayUsers)), Group: g}
	}
	for {
		m := pick(r.rng, replayGroups)
		if m.Type == g.Type && m != g {
			return model.Membership{Member: m, Group: g}
		}
	}
}

// link is a random link between two distinct entities; a cycle is refused
// by LinkEntities, which the run tolerates.
func (r *replayRun) link() model.EntityLink {
	for {
		c, p := pick(r.rng, replayEntities), pick(r.rng, replayEntities)
		if c != p {
			return model.EntityLink{Child: c, Parent: p}
		}
	}
}

func (r *replayRun) job(ctx context.Context, org string) {
	resources := []model.EntityRef{pick(r.rng, replayEntities), pick(r.rng, replayEntities)}
	if resources[0] == resources[1] {
		resources = resources[:1]
	}
	var acl []bulk.ACE
	seen := map[model.Subject]bool{}
	for range r.rng.IntN(4) {
		s := r.subject()
		if !seen[s] {
			seen[s] = true
			ace := bulk.ACE{Grantee: s, Level: pick(r.rng, replayLevels)}
			if r.rng.IntN(4) == 0 {
				ace.Effect = model.EffectDeny
			}
			acl = append(acl, ace)
		}
	}
	spec := bulk.JobSpec{RequestedBy: "usr_admin", Resources: resources, ACL: acl}
	switch r.rng.IntN(4) {
	case 0:
		spec = bulk.JobSpec{RequestedBy: "usr_admin", Operation: bulk.OpCreate,
			Mode: pick(r.rng, []bulk.Mode{bulk.SkipDuplicates, bulk.Upsert})}
		for range 1 + r.rng.IntN(4) {
			spec.Grants = append(spec.Grants, r.input())
		}
	case 1:
		spec.Operation = bulk.OpReplaceAll
	case 2:
		spec.Operation = bulk.OpReplaceGrantees
		for s := range seen {
			spec.Grantees = append(spec.Grantees, s)
		}
		spec.Grantees = append(spec.Grantees, r.subject())
	default:
		spec.Operation, spec.ACL = bulk.OpRevoke, nil
		if r.rng.IntN(2) == 0 {
			spec.Grantees = []model.Subject{r.subject()}
		}
	}
	sub, err := r.a.SubmitJob(ctx, org, spec)
	require.NoError(r.t, err, "job %+v", spec)
	_, err = r.a.WaitJob(ctx, org, sub.ID)
	require.NoError(r.t, err)
}

// catchUp applies to B every change of A's feed it has not applied, and
// checks the feed's shape on the way.
func (r *replayRun) catchUp() {
	ctx := context.Background()
	for _, org := range replayOrgs {
		for _, ch := range changesAfter(r.t, r.a, org, r.pos[org]) {
			require.Greater(r.t, ch.Revision, r.pos[org], "revisions ascend")
			require.LessOrEqual(r.t, ch.Revision, r.a.Revision(), "only published revisions")
			require.False(r.t, len(ch.Grants)+len(ch.Memberships)+len(ch.Links) == 0, "no empty change")
			for _, gc := range ch.Grants {
				require.Equal(r.t, org, gc.Grant.Org, "another organisation's grant in the feed")
				r.ids[gc.Grant.ID] = true
			}
			require.NoError(r.t, engine.ApplyChange(ctx, r.b, org, ch))
			r.pos[org] = ch.Revision
		}
	}
}

// compare asks A and B every read call and requires equal answers.
func (r *replayRun) compare(where string) {
	t, ctx := r.t, context.Background()
	for _, org := range replayOrgs {
		assert.Equal(t, listAll(t, r.a, org, model.GrantQuery{}), listAll(t, r.b, org, model.GrantQuery{}), "%s: ListGrants of %s", where, org)
		for id := range r.ids {
			ga, errA := r.a.GetGrant(ctx, org, id)
			gb, errB := r.b.GetGrant(ctx, org, id)
			assert.Equal(t, ga, gb, "%s: GetGrant(%s, %s)", where, org, id)
			assert.Equal(t, errA == nil, errB == nil, "%s: GetGrant(%s, %s) errors %v, %v", where, org, id, errA, errB)
		}
		for _, user := range replayUsers {
			for _, ent := range replayEntities {
				da, err := r.a.Resolve(ctx, org, user, ent)
				require.NoError(t, err)
				db, err := r.b.Resolve(ctx, org, user, ent)
				require.NoError(t, err)
				assert.Equal(t, da, db, "%s: Resolve(%s, %s, %s)", where, org, user, ent)
				for _, l := range replayLevels {
					ca, err := r.a.Check(ctx, org, user, ent, l)
					require.NoError(t, err)
					cb, err := r.b.Check(ctx, org, user, ent, l)
					require.NoError(t, err)
					assert.Equal(t, ca, cb, "%s: Check(%s, %s, %s, %s)", where, org, user, ent, l)
				}
			}
			ra, err := r.a.ResolvedAccess(ctx, org, user, resolve.Query{})
			require.NoError(t, err)
			rb, err := r.b.ResolvedAccess(ctx, org, user, resolve.Query{})
			require.NoError(t, err)
			assert.Equal(t, ra, rb, "%s: ResolvedAccess(%s, %s)", where, org, user)
		}
		for _, ent := range replayEntities {
			ua, err := r.a.UsersWithAccess(ctx, org, ent, model.LevelRead)
			require.NoError(t, err)
			ub, err := r.b.UsersWithAccess(ctx, org, ent, model.LevelRead)
			require.NoError(t, err)
			assert.Equal(t, ua, ub, "%s: UsersWithAccess(%s, %s)", where, org, ent)
		}
	}
}

// checkWatchAgreed requires that a watcher of A from revision 0 sees the
// feed Changes returns, and that the live watchers that ran alongside the
// writes, one per life of A, saw a prefix of it (each may lag when
// stopped, and its successor resumes where it stopped).
func (r *replayRun) checkWatchAgreed() {
	want := changesAfter(r.t, r.a, testOrg, 0)
	require.NotEmpty(r.t, want)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	assert.Equal(r.t, want, watchUntil(ctx, r.a, testOrg, 0, len(want)).changes, "Watch and Changes agree")
	r.stopWatch()
	require.LessOrEqual(r.t, len(r.seen), len(want))
	assert.Equal(r.t, want[:len(r.seen)], r.seen, "the live watchers saw the same commits")
}
