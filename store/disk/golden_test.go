package disk_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/grantdb/grantdb/store/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden database pins the file format: testdata/<FormatVersion>/db was
// written by this format version (snapshot, journal segments, a commit in
// part records) and must keep opening to the same answers, and this version
// must keep writing exactly its bytes. A change of how store keys its rows
// in memory that changed a file would fail here. Rewrite it only with a new
// FormatVersion (and keep the old directory, to test it is refused or read):
//
//	go test ./store/disk/ -run TestGolden -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/<FormatVersion>/db from the golden commits")

var goldenTime = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// The rows of the golden database.
var (
	goldenAlice = model.User("usr_alice")
	goldenBob   = model.User("usr_bob")
	goldenEng   = model.Department("dep_eng")
	goldenRnD   = model.Department("dep_rnd")
	goldenOps   = model.Role("rol_ops")

	// goldenPlain has no window; revision 4 raises its level.
	goldenPlain = model.Grant{ID: "grt_01", Org: "org_a", Entity: model.EntityRef{Type: "doc", ID: "doc_1"},
		Grantee: goldenAlice, Level: model.LevelRead, GrantedBy: "usr_owner", CreatedAt: goldenTime, UpdatedAt: goldenTime}
	// goldenWindow has a whole window and an update after its creation.
	goldenWindow = model.Grant{ID: "grt_02", Org: "org_a", Entity: model.EntityRef{Type: "doc", ID: "doc_2"},
		Grantee: goldenEng, Level: model.LevelWrite, GrantedBy: "usr_owner",
		EffectiveFrom: goldenTime.Add(-time.Hour), EffectiveTo: goldenTime.Add(48 * time.Hour),
		CreatedAt: goldenTime, UpdatedAt: goldenTime.Add(time.Minute)}
	// goldenEnding has an end only, a granted_by of its own and no times.
	goldenEnding = model.Grant{ID: "grt_03", Org: "org_a", Entity: model.EntityRef{Type: "folder", ID: "fld_1"},
		Grantee: goldenOps, Level: model.LevelAdmin, GrantedBy: "usr_root", EffectiveTo: goldenTime.Add(time.Nanosecond)}
	// goldenGone is created at revision 4 and deleted at 5: the id
	// high-water is its id, greater than any stored.
	goldenGone = model.Grant{ID: "grt_04", Org: "org_b", Entity: model.EntityRef{Type: "doc", ID: "doc_1"},
		Grantee: goldenBob, Level: model.LevelRead, GrantedBy: "usr_owner", CreatedAt: goldenTime, UpdatedAt: goldenTime}

	goldenJob = store.Job{Org: "org_a", ID: "job_01", Name: "tidy", Description: "replace eng's access",
		RequestedBy: "usr_owner", Operation: model.JobOpReplaceGrantees, Status: model.JobNotStarted,
		SubmitTime: goldenTime, TotalSteps: 2}
	goldenSpec = store.JobSpec{Org: "org_a", JobID: "job_01", Operation: model.JobOpReplaceGrantees,
		Mode: model.BulkUpsert, RequestedBy: "usr_owner", EntityType: "doc",
		Grants: []model.GrantInput{{Entity: model.EntityRef{Type: "doc", ID: "doc_9"}, Grantee: goldenBob,
			Level: model.LevelWrite, GrantedBy: "usr_x", EffectiveTo: goldenTime.Add(time.Hour)}},
		ACL:      []model.ACE{{Grantee: goldenEng, Level: model.LevelRead}},
		Grantees: []model.Subject{goldenEng, goldenOps}}
	goldenSteps = [2]store.JobStep{
		{Org: "org_a", JobID: "job_01", Index: 0, Resource: model.EntityRef{Type: "doc", ID: "doc_1"}, Status: model.JobNotStarted},
		{Org: "org_a", JobID: "job_01", Index: 1, Resource: model.EntityRef{Type: "doc", ID: "doc_2"}, Status: model.JobNotStarted},
	}
)

// goldenCommits are the golden database's commits, revisions 1 to 5; a
// checkpoint follows revision 3.
func goldenCommits(t *testing.T) []func(w *store.WriteTxn) {
	add := func(w *store.WriteTxn, org string, m model.Membership) {
		added, err := w.AddMembership(org, m)
		require.NoError(t, err)
		require.True(t, added)
	}
	return []func(w *store.WriteTxn){
		func(w *store.WriteTxn) {
			for _, g := range []model.Grant{goldenPlain, goldenWindow, goldenEnding} {
				require.NoError(t, w.PutGrant(g))
			}
		},
		func(w *store.WriteTxn) {
			add(w, "org_a", model.Membership{Member: goldenAlice, Group: goldenEng})
			add(w, "org_a", model.Membership{Member: goldenEng, Group: goldenRnD})
			add(w, "org_b", model.Membership{Member: goldenBob, Group: goldenOps})
		},
		func(w *store.WriteTxn) {
			require.NoError(t, w.PutJob(goldenJob))
			require.NoError(t, w.PutJobSpec(goldenSpec))
			for _, s := range goldenSteps {
				require.NoError(t, w.PutJobStep(s))
			}
		},
		func(w *store.WriteTxn) { // large enough for part records
			require.NoError(t, w.PutGrant(goldenGone))
			raised := goldenPlain
			raised.Level, raised.UpdatedAt = model.LevelWrite, goldenTime.Add(time.Hour)
			require.NoError(t, w.PutGrant(raised))
			j, step := goldenJob, goldenSteps[0]
			j.Status, j.StartTime, j.StepsProcessed, j.StepsSucceeded = model.JobInProgress, goldenTime, 1, 1
			step.Status, step.StartTime, step.EndTime = model.JobSucceeded, goldenTime, goldenTime.Add(time.Second)
			require.NoError(t, w.PutJobStep(step))
			require.NoError(t, w.PutJob(j))
		},
		func(w *store.WriteTxn) {
			found, err := w.DeleteGrant(goldenGone)
			require.NoError(t, err)
			require.True(t, found)
			removed, err := w.RemoveMembership("org_b", model.Membership{Member: goldenBob, Group: goldenOps})
			require.NoError(t, err)
			require.True(t, removed)
			j, step := goldenJob, goldenSteps[1]
			j.Status, j.StartTime, j.EndTime = model.JobPartiallySucceeded, goldenTime, goldenTime.Add(2*time.Second)
			j.StepsProcessed, j.StepsSucceeded, j.StepsFailed = 2, 1, 1
			step.Status, step.StartTime, step.EndTime = model.JobFailed, goldenTime.Add(time.Second), goldenTime.Add(2*time.Second)
			step.Errors = []model.Error{{Code: model.CodeValidation, Message: "grantee_id is required", Field: model.FieldGranteeID}}
			require.NoError(t, w.PutJobStep(step))
			require.NoError(t, w.PutJob(j))
		},
	}
}

// writeGolden writes the golden database into the new directory path.
func writeGolden(t *testing.T, path string) {
	s, err := store.New()
	require.NoError(t, err)
	d, err := disk.Open(path, disk.Options{SegmentRecords: 1, PartBytes: 64})
	require.NoError(t, err)
	_, err = d.Load(s)
	require.NoError(t, err)
	for i, fill := range goldenCommits(t) {
		w := s.Write()
		fill(w)
		cs, snap := w.Commit()
		require.NoError(t, d.Append(cs))
		if i == 2 {
			require.NoError(t, d.Checkpoint(context.Background(), snap))
		}
	}
	require.NoError(t, d.Close())
	require.NoError(t, os.Remove(filepath.Join(path, "LOCK")))
}

func goldenPath(version int) string {
	return filepath.Join("testdata", strconv.Itoa(version), "db")
}

func TestGoldenFilesAreWhatThisVersionWrites(t *testing.T) {
	golden := goldenPath(disk.FormatVersion)
	if *updateGolden {
		require.NoError(t, os.RemoveAll(golden))
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		writeGolden(t, golden)
	}
	fresh := filepath.Join(t.TempDir(), "db")
	writeGolden(t, fresh)
	want, err := os.ReadDir(golden)
	require.NoError(t, err, "no golden database for format version %d: write it with -update-golden", disk.FormatVersion)
	got, err := os.ReadDir(fresh)
	require.NoError(t, err)
	names := func(es []os.DirEntry) (out []string) {
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	require.Equal(t, names(want), names(got), "the same files")
	assert.Equal(t, []string{
		"MANIFEST",
		"journal-00000000000000000004.buntdb",
		"journal-00000000000000000005.buntdb",
		"snapshot-00000000000000000003.buntdb",
	}, names(want), "a snapshot, two journal segments and the MANIFEST naming them")
	for _, e := range want {
		w, err := os.ReadFile(filepath.Join(golden, e.Name()))
		require.NoError(t, err)
		g, err := os.ReadFile(filepath.Join(fresh, e.Name()))
		require.NoError(t, err)
		assert.Equal(t, w, g, "%s: this build writes other bytes than format version %d: "+
			"a change of the file format needs a new FormatVersion", e.Name(), disk.FormatVersion)
	}
}

func TestGoldenDatabaseOpens(t *testing.T) {
	// A copy: Open takes a lock and Load may write.
	dir := copyDir(t, goldenPath(disk.FormatVersion))
	s, err := store.New()
	require.NoError(t, err)
	d, err := disk.Open(dir, disk.Options{})
	require.NoError(t, err)
	defer d.Close()
	rev, err := d.Load(s)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), rev)
	assert.Equal(t, goldenGone.ID, d.GrantIDHighWater(), "the id of a deleted grant")

	snap := s.Snapshot()
	r := snap.Read()
	assert.Equal(t, uint64(5), snap.Revision())
	raised := goldenPlain
	raised.Level, raised.UpdatedAt = model.LevelWrite, goldenTime.Add(time.Hour)
	var grants []model.Grant
	require.NoError(t, r.EachGrant(func(g *model.Grant) bool {
		grants = append(grants, *g)
		return true
	}))
	assert.ElementsMatch(t, []model.Grant{raised, goldenWindow, goldenEnding}, grants)
	for _, g := range []model.Grant{raised, goldenWindow, goldenEnding} {
		got, ok := r.GrantByID(g.Org, g.ID)
		assert.True(t, ok, g.ID)
		assert.Equal(t, g, got)
	}
	_, ok := r.GrantByID(goldenGone.Org, goldenGone.ID)
	assert.False(t, ok, "deleted at revision 5")
	var ended []string
	r.EndedGrants(goldenTime.Add(time.Hour), func(g model.Grant) bool {
		ended = append(ended, g.ID)
		return true
	})
	assert.Equal(t, []string{goldenEnding.ID}, ended, "the expiry index is rebuilt")

	assert.True(t, r.HasMembership("org_a", model.Membership{Member: goldenAlice, Group: goldenEng}))
	assert.True(t, r.HasMembership("org_a", model.Membership{Member: goldenEng, Group: goldenRnD}))
	assert.False(t, r.HasMembership("org_b", model.Membership{Member: goldenBob, Group: goldenOps}), "removed at revision 5")
	var memberships int
	require.NoError(t, r.EachMembership(func(string, model.Membership) bool { memberships++; return true }))
	assert.Equal(t, 2, memberships)

	job, ok := r.Job("org_a", "job_01")
	require.True(t, ok)
	wantJob := goldenJob
	wantJob.Status, wantJob.StartTime, wantJob.EndTime = model.JobPartiallySucceeded, goldenTime, goldenTime.Add(2*time.Second)
	wantJob.StepsProcessed, wantJob.StepsSucceeded, wantJob.StepsFailed = 2, 1, 1
	assert.Equal(t, wantJob, job)
	spec, ok := r.JobSpec("org_a", "job_01")
	require.True(t, ok)
	assert.Equal(t, goldenSpec, spec)
	var steps []store.JobStep
	require.NoError(t, r.JobSteps("org_a", "job_01", func(s store.JobStep) bool {
		steps = append(steps, s)
		return true
	}))
	want := goldenSteps
	want[0].Status, want[0].StartTime, want[0].EndTime = model.JobSucceeded, goldenTime, goldenTime.Add(time.Second)
	want[1].Status, want[1].StartTime, want[1].EndTime = model.JobFailed, goldenTime.Add(time.Second), goldenTime.Add(2*time.Second)
	want[1].Errors = []model.Error{{Code: model.CodeValidation, Message: "grantee_id is required", Field: model.FieldGranteeID}}
	assert.Equal(t, want[:], steps)
	assert.Equal(t, "job_01", r.MaxJobID())
}

// TestOldFormatIsRefused opens databases written by format version 1 (the
// code before this package): they fail with ErrUnsupportedFormat, naming
// the file, and are left as they were.
func TestOldFormatIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"db", "snapshot-00000000000000000003.buntdb"},
		{"journal_only", "journal-00000000000000000001.buntdb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join("testdata", "1", tc.name)
			dir := copyDir(t, src)
			before, err := os.ReadFile(filepath.Join(dir, tc.file))
			require.NoError(t, err)
			s, err := store.New()
			require.NoError(t, err)
			d, err := disk.Open(dir, disk.Options{})
			require.NoError(t, err)
			defer d.Close()
			_, err = d.Load(s)
			require.ErrorIs(t, err, disk.ErrUnsupportedFormat)
			assert.Contains(t, err.Error(), tc.file)
			after, err := os.ReadFile(filepath.Join(dir, tc.file))
			require.NoError(t, err)
			assert.Equal(t, before, after, "a refused file is not touched")
		})
	}
}
