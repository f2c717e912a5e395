package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// openDurable opens a durable engine at dir on clock, closed when the test
// ends (unless the test closed it).
func openDurable(t testing.TB, dir string, clock *fakeClock, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e, err := engine.Open(append([]engine.Option{engine.WithPath(dir), engine.WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { closeQuietly(t, e) })
	return e
}

// closeQuietly closes e, accepting that it was closed already.
func closeQuietly(t testing.TB, e *engine.Engine) {
	if err := e.Close(); err != nil && !errors.Is(err, model.ErrClosed) {
		t.Errorf("close: %v", err)
	}
}

// engineState is everything the engine answers about a fixed set of
// organisations, users and entities: two engines with equal states answer
// these calls alike.
type engineState struct {
	Revision  uint64
	Grants    map[string][]model.Grant
	Decisions map[string]resolve.Decision
	Checks    map[string]bool
	Access    map[string][]resolve.Decision
	Users     map[string][]resolve.UserAccess
	Jobs      map[string][]bulk.JobSummary
	Steps     map[string][]bulk.JobStep
}

var (
	stateOrgs     = []string{testOrg, otherOrg}
	stateUsers    = []string{"alice", "bob", "carol", "dave", "erin"}
	stateEntities = []model.EntityRef{doc("d1"), doc("d2"), doc("d3"), doc("d4"), doc("d5"), doc("b1"), doc("b2"), doc("b3"), doc("d000"), doc("d001"), folder("f1")}
)

func captureState(t testing.TB, e *engine.Engine) engineState {
	t.Helper()
	ctx := context.Background()
	s := engineState{
		Revision: engine.PublishedRevision(e),
		Grants:   map[string][]model.Grant{}, Decisions: map[string]resolve.Decision{}, Checks: map[string]bool{},
		Access: map[string][]resolve.Decision{}, Users: map[string][]resolve.UserAccess{},
		Jobs: map[string][]bulk.JobSummary{}, Steps: map[string][]bulk.JobStep{},
	}
	for _, org := range stateOrgs {
		s.Grants[org] = listAll(t, e, org, model.GrantQuery{})
		for _, u := range stateUsers {
			acc, err := e.ResolvedAccess(ctx, org, u, resolve.Query{})
			require.NoError(t, err)
			s.Access[org+"/"+u] = acc
			for _, ent := range stateEntities {
				k := fmt.Sprintf("%s/%s/%s", org, u, ent)
				d, err := e.Resolve(ctx, org, u, ent)
				require.NoError(t, err)
				s.Decisions[k] = d
				ok, err := e.Check(ctx, org, u, ent, model.LevelWrite)
				require.NoError(t, err)
				s.Checks[k] = ok
			}
		}
		for _, ent := range stateEntities {
			ua, err := e.UsersWithAccess(ctx, org, ent, model.LevelRead)
			require.NoError(t, err)
			s.Users[org+"/"+ent.String()] = ua
		}
		jobs, err := e.Jobs(ctx, org)
		require.NoError(t, err)
		s.Jobs[org] = jobs
		for _, j := range jobs {
			if j.Status.Ended() {
				s.Steps[j.ID] = jobAllSteps(t, e, org, j.ID)
			}
		}
	}
	return s
}

// fillEverything writes one of each kind of commit: grants created, updated
// and revoked, memberships added (nested) and removed, bulk batches of each
// mode (a refused one included), and a job run to its end.
func fillEverything(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	in := grantInput("d2", "x")
	in.Grantee, in.Level = model.Department("rnd"), model.LevelWrite
	mustCreate(t, e, testOrg, in)
	in = grantInput("d3", "x")
	in.Grantee, in.Level = model.Role("editor"), model.LevelAdmin
	mustCreate(t, e, testOrg, in)
	in = grantInput("d4", "carol")
	in.EffectiveFrom, in.EffectiveTo = t0.Add(-time.Hour), t0.Add(time.Hour)
	mustCreate(t, e, testOrg, in)
	up := mustCreate(t, e, testOrg, grantInput("d5", "dave"))
	_, err := e.UpdateGrant(ctx, testOrg, up.ID, model.LevelAdmin)
	require.NoError(t, err)
	gone := mustCreate(t, e, testOrg, grantInput("d5", "erin"))
	require.NoError(t, e.RevokeGrant(ctx, testOrg, gone.ID))
	mustCreate(t, e, otherOrg, grantInput("d1", "bob"))

	require.NoError(t, e.AddMembers(ctx, testOrg,
		model.Membership{Member: model.User("alice"), Group: model.Department("eng")},
		model.Membership{Member: model.Department("eng"), Group: model.Department("rnd")},
		model.Membership{Member: model.User("bob"), Group: model.Role("senior")},
		model.Membership{Member: model.Role("senior"), Group: model.Role("editor")},
		model.Membership{Member: model.User("carol"), Group: model.Department("eng")},
	))
	require.NoError(t, e.RemoveMembers(ctx, testOrg, model.Membership{Member: model.User("carol"), Group: model.Department("eng")}))

	res := bulkCreate(t, e, []model.GrantInput{grantInput("b1", "alice"), grantInput("b1", "bob"), grantInput("d1", "alice")}, bulk.Options{})
	require.True(t, res.Committed)
	require.Equal(t, 1, res.Summary.Skipped)
	res = bulkCreate(t, e, []model.GrantInput{grantInput("b2", "alice"), grantInput("b1", "bob")}, bulk.Options{Mode: bulk.AllOrNothing})
	require.False(t, res.Committed)
	res = bulkCreate(t, e, []model.GrantInput{grantInput("b2", "alice"), grantInput("b2", "carol")}, bulk.Options{Mode: bulk.AllOrNothing})
	require.True(t, res.Committed)
	res = bulkCreate(t, e, []model.GrantInput{withLevel(grantInput("b1", "bob"), model.LevelAdmin), grantInput("b3", "dave")}, bulk.Options{Mode: bulk.Upsert})
	require.True(t, res.Committed)

	sub, err := e.SubmitJob(ctx, testOrg, replaceAllJob(manyDocs(2)))
	require.NoError(t, err)
	sum, err := e.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	require.Equal(t, bulk.JobSucceeded, sum.Status)
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock)
	fillEverything(t, e)
	before := captureState(t, e)
	require.NotEmpty(t, before.Grants[testOrg])
	require.NotEmpty(t, before.Jobs[testOrg])
	require.NoError(t, e.Close())

	again := openDurable(t, dir, clock)
	assert.Equal(t, before, captureState(t, again))

	// And once more, after the reopened engine wrote nothing.
	require.NoError(t, again.Close())
	third := openDurable(t, dir, clock)
	assert.Equal(t, before, captureState(t, third))
}

func TestReopenAfterCheckpointsKeepsEverything(t *testing.T) {
	// A checkpoint after every commit: the state comes back from snapshots
	// plus short journals, and the files a checkpoint replaces are gone.
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithCheckpointEvery(1, 0))
	fillEverything(t, e)
	before := captureState(t, e)
	require.NoError(t, e.Close())
	snaps, err := filepath.Glob(filepath.Join(dir, "snapshot-*.buntdb"))
	require.NoError(t, err)
	assert.Len(t, snaps, 1, "one snapshot, the older ones dropped")

	again := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 1))
	assert.Equal(t, before, captureState(t, again))
}

func TestReopenContinuesRevisionsAndIDs(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	ctx := context.Background()
	e := openDurable(t, dir, clock)
	var ids []string
	for i := range 5 {
		ids = append(ids, mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%d", i), "alice")).ID)
	}
	// The newest grant is revoked: its id must not come back either.
	require.NoError(t, e.RevokeGrant(ctx, testOrg, ids[4]))
	rev := engine.PublishedRevision(e)
	require.NoError(t, e.Close())

	// A clock that went back must not make ids that sort before (or equal)
	// the ones already drawn.
	clock.Set(t0.Add(-time.Hour))
	again := openDurable(t, dir, clock)
	assert.Equal(t, rev, engine.PublishedRevision(again))
	g := mustCreate(t, again, testOrg, grantInput("new", "alice"))
	assert.Equal(t, rev+1, engine.PublishedRevision(again))
	for _, id := range ids {
		assert.Greater(t, g.ID, id)
	}
	_, err := again.GetGrant(ctx, testOrg, ids[4])
	requireModelError(t, err, model.ErrNotFound, "id")
}

func TestReopenExpiredGrantsStayHiddenAndAreSwept(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	ctx := context.Background()
	e := openDurable(t, dir, clock, engine.WithSweepInterval(0))
	in := grantInput("d1", "alice")
	in.EffectiveTo = t0.Add(time.Hour)
	ending := mustCreate(t, e, testOrg, in)
	lasting := mustCreate(t, e, testOrg, grantInput("d2", "alice"))
	require.NoError(t, e.Close())

	clock.Advance(2 * time.Hour)
	again := openDurable(t, dir, clock, engine.WithSweepInterval(0))
	_, err := again.GetGrant(ctx, testOrg, ending.ID)
	requireModelError(t, err, model.ErrNotFound, "id")
	ok, err := again.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, []string{lasting.ID}, grantIDs(listAll(t, again, testOrg, model.GrantQuery{})))

	// The loaded grant is in the expiry queue: the sweep removes it, as a
	// commit that is itself journalled.
	rev := engine.PublishedRevision(again)
	n, err := engine.SweepNow(ctx, again)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, rev+1, engine.PublishedRevision(again))
	require.NoError(t, again.Close())

	third := openDurable(t, dir, clock, engine.WithSweepInterval(0))
	assert.Equal(t, rev+1, engine.PublishedRevision(third))
	n, err = engine.SweepNow(ctx, third)
	require.NoError(t, err)
	assert.Zero(t, n, "swept already")
}

func TestReopenResumesInterruptedJob(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	ctx := context.Background()
	e := openDurable(t, dir, clock)
	const total, doneBefore = 6, 2
	reached := make(chan struct{})
	engine.SetJobStepHook(e, func(ctx context.Context, id string, step int) {
		clock.Advance(time.Second)
		if step == doneBefore {
			close(reached)
			<-ctx.Done() // held here until Close stops the runner
		}
	})
	sub, err := e.SubmitJob(ctx, testOrg, replaceAllJob(manyDocs(total)))
	require.NoError(t, err)
	<-reached
	require.NoError(t, e.Close())
	rev := engine.PublishedRevision(e) // the last revision on disk

	// The reopened engine resumes the job at once.
	clock.Advance(time.Minute)
	peek := openDurable(t, dir, clock)
	sum, err := peek.WaitJob(ctx, testOrg, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, total, sum.StepsProcessed)
	assert.Equal(t, total, sum.StepsSucceeded)
	assert.Equal(t, total, sum.TotalSteps)
	// Each remaining step is one commit, and nothing else was committed:
	// no step ran twice.
	assert.Equal(t, rev+uint64(total-doneBefore), engine.PublishedRevision(peek))
	steps := jobAllSteps(t, peek, testOrg, sub.ID)
	require.Len(t, steps, total)
	for i, s := range steps {
		assert.Equal(t, bulk.JobSucceeded, s.Status, "step %d", i)
		// The steps done before Close keep their times from the first run.
		assert.Equal(t, i >= doneBefore, s.StartTime.After(t0.Add(time.Minute)), "step %d ran in the right run", i)
	}
	for _, d := range manyDocs(total) {
		ua, err := peek.UsersWithAccess(ctx, testOrg, d, model.LevelRead)
		require.NoError(t, err)
		require.Len(t, ua, 1, "%s", d)
		assert.Equal(t, "bob", ua[0].User)
		assert.Equal(t, model.LevelAdmin, ua[0].Level)
	}
}

func TestOpenRefusesSecondOpenOfSamePath(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock)
	_, err := engine.Open(engine.WithPath(dir))
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrLocked)
	assert.Contains(t, err.Error(), dir)

	// The refused Open took nothing away from the one that holds the lock.
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	require.NoError(t, e.Close())
	again := openDurable(t, dir, clock)
	assert.Len(t, listAll(t, again, testOrg, model.GrantQuery{}), 1)
}

func TestOpenRefusesPathsThatAreNotDatabases(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T) string
	}{
		{"a file", func(t *testing.T) string {
			p := t.TempDir() + "/file"
			require.NoError(t, writeFile(p, "hello"))
			return p
		}},
		{"a directory of someone else's files", func(t *testing.T) string {
			p := t.TempDir()
			require.NoError(t, writeFile(p+"/notes.txt", "hello"))
			return p
		}},
		{"a file posing as a snapshot", func(t *testing.T) string {
			p := t.TempDir()
			require.NoError(t, writeFile(p+"/snapshot-00000000000000000007.buntdb", "*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\nb\r\n"))
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.make(t)
			e, err := engine.Open(engine.WithPath(p))
			if e != nil {
				_ = e.Close()
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, engine.ErrNotDatabase)
			assert.Contains(t, err.Error(), p)
		})
	}
}

func TestPersistOptionsWithoutPathChangeNothing(t *testing.T) {
	// Sync and checkpoint options without WithPath keep the engine in
	// memory: it works, and there is nothing to reopen.
	e, _ := newTestEngine(t, engine.WithSync(engine.SyncNever), engine.WithCheckpointEvery(1, 1), engine.WithLogger(nil))
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	assert.Equal(t, uint64(1), engine.PublishedRevision(e))
	require.NoError(t, e.Close())
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

func TestReopenCutsATornTailAndRefusesDamage(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 0))
	var ids []string
	for i := range 5 {
		ids = append(ids, mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%d", i), "alice")).ID)
	}
	require.NoError(t, e.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	seg := segs[0]
	whole, err := os.ReadFile(seg)
	require.NoError(t, err)

	// A write cut short by a crash: the last commit goes, with a warning.
	require.NoError(t, os.WriteFile(seg, whole[:len(whole)-3], 0o644))
	var logged syncBuffer
	again := openDurable(t, dir, clock, engine.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	assert.Equal(t, ids[:4], grantIDs(listAll(t, again, testOrg, model.GrantQuery{})))
	assert.Contains(t, string(logged.Bytes()), "crash tail")
	assert.Contains(t, string(logged.Bytes()), seg)
	// The next commit takes the revision of the one that was lost.
	assert.Equal(t, uint64(4), engine.PublishedRevision(again))
	mustCreate(t, again, testOrg, grantInput("d9", "alice"))
	assert.Equal(t, uint64(5), engine.PublishedRevision(again))
	require.NoError(t, again.Close())

	// A damaged record before the end is not a crash: Open fails, naming
	// the file, and loads nothing.
	damaged, err := os.ReadFile(seg)
	require.NoError(t, err)
	damaged[70] ^= 0xff
	require.NoError(t, os.WriteFile(seg, damaged, 0o644))
	bad, err := engine.Open(engine.WithPath(dir))
	if bad != nil {
		_ = bad.Close()
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrCorrupt)
	assert.Contains(t, err.Error(), seg)
	// The refused Open released the directory.
	damaged[70] ^= 0xff
	require.NoError(t, os.WriteFile(seg, damaged, 0o644))
	openDurable(t, dir, clock)
}

// syncBuffer is a bytes.Buffer safe for the child's output copier and the
// test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// TestReopenRefusesAFailedChecksumAtTheEnd flips a byte in the last, whole
// record: Open fails with ErrCorrupt naming the file, and only
// WithCutCorruptTail opens it, without that commit and saying so.
func TestReopenRefusesAFailedChecksumAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 0))
	var ids []string
	for i := range 3 {
		ids = append(ids, mustCreate(t, e, testOrg, grantInput(fmt.Sprintf("d%d", i), "alice")).ID)
	}
	require.NoError(t, e.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	b[len(b)-8] ^= 0x01
	require.NoError(t, os.WriteFile(segs[0], b, 0o644))

	_, err = engine.Open(engine.WithPath(dir))
	require.ErrorIs(t, err, engine.ErrCorrupt)
	assert.Contains(t, err.Error(), segs[0])
	assert.Contains(t, err.Error(), "revision 3")

	var logged syncBuffer
	again := openDurable(t, dir, clock, engine.WithCutCorruptTail(),
		engine.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	assert.Equal(t, ids[:2], grantIDs(listAll(t, again, testOrg, model.GrantQuery{})))
	assert.Contains(t, string(logged.Bytes()), "checksum fails")
	require.NoError(t, again.Close())
}

// TestReopenLogsToTheDefaultLogger checks that without WithLogger a cut
// tail is reported to slog.Default(), not dropped.
func TestReopenLogsToTheDefaultLogger(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	e := openDurable(t, dir, clock, engine.WithCheckpointEvery(0, 0))
	mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	mustCreate(t, e, testOrg, grantInput("d2", "alice"))
	require.NoError(t, e.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "journal-*.buntdb"))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(segs[0], b[:len(b)-3], 0o644))

	var logged syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(old)
	again := openDurable(t, dir, clock)
	require.NoError(t, again.Close())
	assert.Contains(t, string(logged.Bytes()), "crash tail")
	assert.Contains(t, string(logged.Bytes()), segs[0])
}
