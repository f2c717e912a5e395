package disk_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/require"
)

// diskState is everything a store holds, for comparing a store loaded from
// disk with the one that wrote it.
type diskState struct {
	Revision    uint64
	Grants      []model.Grant
	Memberships []string
	Links       []string
	Jobs        []store.Job
	Specs       []store.JobSpec
	Steps       []store.JobStep
}

func stateOf(t testing.TB, snap *store.Snapshot) diskState {
	t.Helper()
	r := snap.Read()
	st := diskState{Revision: snap.Revision()}
	require.NoError(t, r.EachGrant(func(g *model.Grant) bool {
		st.Grants = append(st.Grants, *g)
		return true
	}))
	require.NoError(t, r.EachMembership(func(org string, m model.Membership) bool {
		st.Memberships = append(st.Memberships, org+" "+m.Member.String()+" in "+m.Group.String())
		return true
	}))
	require.NoError(t, r.EachLink(func(org string, l model.EntityLink) bool {
		st.Links = append(st.Links, org+" "+l.Child.String()+" in "+l.Parent.String())
		return true
	}))
	require.NoError(t, r.EachJob(func(j store.Job) bool {
		st.Jobs = append(st.Jobs, j)
		if spec, ok := r.JobSpec(j.Org, j.ID); ok {
			st.Specs = append(st.Specs, spec)
		}
		return r.JobSteps(j.Org, j.ID, func(s store.JobStep) bool {
			st.Steps = append(st.Steps, s)
			return true
		}) == nil
	}))
	return st
}

// workload makes random commits of every kind: new, updated and deleted
// grants (allows and denies), memberships and entity links added and
// removed, job rows.
type workload struct {
	rng     *rand.Rand
	live    []model.Grant
	members []model.Membership
	links   []model.EntityLink
	nextID  int
	nextJob int
	commits int
	clock   time.Time
}

func newWorkload(seed uint64) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 7)), clock: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)}
}

func (w *workload) newGrant() model.Grant {
	w.nextID++
	w.clock = w.clock.Add(time.Duration(w.rng.IntN(5000)) * time.Millisecond)
	g := model.Grant{
		ID:        fmt.Sprintf("agrant_%08d", w.nextID),
		Org:       fmt.Sprintf("org_%d", w.rng.IntN(3)),
		Entity:    model.EntityRef{Type: "fleet", ID: fmt.Sprintf("fl_%d", w.rng.IntN(50))},
		Grantee:   model.User(fmt.Sprintf("usr_%d", w.rng.IntN(200))),
		Level:     model.Level(1 + w.rng.IntN(3)),
		GrantedBy: "usr_admin",
		CreatedAt: w.clock, UpdatedAt: w.clock,
	}
	if w.rng.IntN(3) == 0 {
		g.EffectiveFrom = w.clock.Add(time.Hour)
		g.EffectiveTo = w.clock.Add(48 * time.Hour)
		g.Grantee = model.Role(fmt.Sprintf("role_%d", w.rng.IntN(5)))
		g.GrantedBy = "usr_other"
	}
	if w.rng.IntN(5) == 0 {
		g.Effect = model.EffectDeny
	}
	return g
}

// commit makes one non-empty commit on s and returns its change set.
func (w *workload) commit(t testing.TB, s *store.Store, grants int) store.ChangeSet {
	t.Helper()
	tx := s.Write()
	defer tx.Abort()
	for range grants {
		g := w.newGrant()
		if old, ok := tx.GrantWithEffect(g.Org, g.Entity, g.Grantee, g.Effect); ok {
			g.ID, g.CreatedAt = old.ID, old.CreatedAt // an update, as the engine makes it
		}
		require.NoError(t, tx.PutGrant(g))
		w.live = append(w.live, g)
	}
	w.commits++
	kind := w.rng.IntN(7)
	if w.commits%6 == 0 {
		kind = 3 // every kind of row, whatever the seed
	}
	switch kind {
	case 0:
		if i := w.rng.IntN(len(w.live)); true {
			found, err := tx.DeleteGrant(w.live[i])
			require.NoError(t, err)
			_ = found
		}
	case 1:
		m := model.Membership{Member: model.User(fmt.Sprintf("usr_%d", w.rng.IntN(200))), Group: model.Department(fmt.Sprintf("dep_%d", w.rng.IntN(10)))}
		added, err := tx.AddMembership("org_0", m)
		require.NoError(t, err)
		if added {
			w.members = append(w.members, m)
		}
	case 2:
		if len(w.members) > 0 {
			i := w.rng.IntN(len(w.members))
			_, err := tx.RemoveMembership("org_0", w.members[i])
			require.NoError(t, err)
			w.members = append(w.members[:i], w.members[i+1:]...)
		}
	case 3:
		w.nextJob++
		id := fmt.Sprintf("job_%04d", w.nextJob)
		require.NoError(t, tx.PutJob(store.Job{Org: "org_1", ID: id, Name: "n", Operation: model.JobOpCreate, Status: model.JobInProgress,
			SubmitTime: w.clock, StartTime: w.clock, TotalSteps: 2, StepsProcessed: 1, StepsSucceeded: 1}))
		require.NoError(t, tx.PutJobSpec(store.JobSpec{Org: "org_1", JobID: id, Operation: model.JobOpCreate, Mode: model.BulkAllOrNothing, RequestedBy: "usr_admin",
			Grants:   []model.GrantInput{{Entity: model.EntityRef{Type: "fleet", ID: "fl_1"}, Grantee: model.User("u"), Level: model.LevelRead, EffectiveTo: w.clock}},
			ACL:      []model.ACE{{Grantee: model.Role("r"), Level: model.LevelAdmin}, {Grantee: model.User("u"), Level: model.LevelRead, Effect: model.EffectDeny}},
			Grantees: []model.Subject{model.Department("d")}}))
		require.NoError(t, tx.PutJobStep(store.JobStep{Org: "org_1", JobID: id, Index: 1, Resource: model.EntityRef{Type: "fleet", ID: "fl_1"},
			Status: model.JobFailed, StartTime: w.clock, EndTime: w.clock,
			Errors: []model.Error{{Code: model.CodeValidation, Message: "bad", Field: model.FieldGranteeID}}}))
	case 4:
		// Documents into folders, folders into a root: never a cycle.
		l := model.EntityLink{Child: model.EntityRef{Type: "fleet", ID: fmt.Sprintf("fl_%d", w.rng.IntN(50))},
			Parent: model.EntityRef{Type: "folder", ID: fmt.Sprintf("fo_%d", w.rng.IntN(5))}}
		if w.rng.IntN(3) == 0 {
			l = model.EntityLink{Child: l.Parent, Parent: model.EntityRef{Type: "folder", ID: "root"}}
		}
		added, err := tx.AddLink("org_0", l)
		require.NoError(t, err)
		if added {
			w.links = append(w.links, l)
		}
	case 5:
		if len(w.links) > 0 {
			i := w.rng.IntN(len(w.links))
			_, err := tx.RemoveLink("org_0", w.links[i])
			require.NoError(t, err)
			w.links = append(w.links[:i], w.links[i+1:]...)
		}
	}
	cs, _ := tx.Commit()
	require.NotEmpty(t, cs.Grants)
	return cs
}

// testDir is a database directory in use by a test.
type testDir struct {
	t     testing.TB
	path  string
	opts  disk.Options
	dir   *disk.Dir
	store *store.Store
	logs  *syncBuffer
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// openTestDir opens and loads the directory at path.
func openTestDir(t testing.TB, path string, opts disk.Options) *testDir {
	t.Helper()
	td, err := tryOpenTestDir(t, path, opts)
	require.NoError(t, err)
	return td
}

func tryOpenTestDir(t testing.TB, path string, opts disk.Options) (*testDir, error) {
	t.Helper()
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	d, err := disk.Open(path, opts)
	if err != nil {
		return nil, err
	}
	s, err := store.New()
	require.NoError(t, err)
	if _, err := d.Load(s); err != nil {
		require.NoError(t, d.Close())
		return &testDir{logs: logs}, err
	}
	td := &testDir{t: t, path: path, opts: opts, dir: d, store: s, logs: logs}
	t.Cleanup(func() { _ = d.Close() })
	return td, nil
}

// commit makes a workload commit and journals it.
func (td *testDir) commit(w *workload, grants int) store.ChangeSet {
	td.t.Helper()
	cs := w.commit(td.t, td.store, grants)
	require.NoError(td.t, td.dir.Append(cs, w.clock))
	return cs
}

func (td *testDir) state() diskState { return stateOf(td.t, td.store.Snapshot()) }

func (td *testDir) close() {
	td.t.Helper()
	require.NoError(td.t, td.dir.Close())
}

// filesIn lists a directory's file names matching a prefix.
func filesIn(t testing.TB, dir, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range filesIn(t, src, "") {
		b, err := os.ReadFile(filepath.Join(src, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, name), b, 0o644))
	}
	return dst
}

// memTempDir is a temporary directory in memory (/dev/shm) when there is
// one, for tests that open a database hundreds of times: fsync there costs
// nothing, and what they check does not depend on it.
func memTempDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "grantdb-test-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}
