package disk_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
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
	// goldenRenewed (format 3) is created at revision 5 under
	// goldenEnding's key, which has ended but is not swept: it replaces
	// that grant of another id.
	goldenRenewed = model.Grant{ID: "grt_06", Org: "org_a", Entity: goldenEnding.Entity, Grantee: goldenOps,
		Level: model.LevelRead, GrantedBy: "usr_root", EffectiveTo: goldenTime.Add(30 * time.Minute),
		CreatedAt: goldenTime.Add(time.Minute), UpdatedAt: goldenTime.Add(time.Minute)}
	// goldenDeny (format 3) takes write on the folder away from eng.
	goldenDeny = model.Grant{ID: "grt_05", Org: "org_a", Entity: goldenFolder, Grantee: goldenEng,
		Level: model.LevelWrite, Effect: model.EffectDeny, GrantedBy: "usr_root", CreatedAt: goldenTime, UpdatedAt: goldenTime}

	// The entity links (format 3): doc_1 and doc_2 in the folder the
	// grants goldenEnding and goldenDeny are on, the folder in a root;
	// doc_2's link is deleted at revision 5.
	goldenFolder   = model.EntityRef{Type: "folder", ID: "fld_1"}
	goldenDocLink  = model.EntityLink{Child: model.EntityRef{Type: "doc", ID: "doc_1"}, Parent: goldenFolder}
	goldenGoneLink = model.EntityLink{Child: model.EntityRef{Type: "doc", ID: "doc_2"}, Parent: goldenFolder}
	goldenRootLink = model.EntityLink{Child: goldenFolder, Parent: model.EntityRef{Type: "folder", ID: "fld_root"}}

	goldenJob = store.Job{Org: "org_a", ID: "job_01", Name: "tidy", Description: "replace eng's access",
		RequestedBy: "usr_owner", Operation: model.JobOpReplaceGrantees, Status: model.JobNotStarted,
		SubmitTime: goldenTime, TotalSteps: 2}
	goldenSpec = store.JobSpec{Org: "org_a", JobID: "job_01", Operation: model.JobOpReplaceGrantees,
		Mode: model.BulkUpsert, RequestedBy: "usr_owner", EntityType: "doc",
		Grants: []model.GrantInput{{Entity: model.EntityRef{Type: "doc", ID: "doc_9"}, Grantee: goldenBob,
			Level: model.LevelWrite, GrantedBy: "usr_x", EffectiveTo: goldenTime.Add(time.Hour)}},
		ACL:      []model.ACE{{Grantee: goldenEng, Level: model.LevelRead}},
		Grantees: []model.Subject{goldenEng, goldenOps}}
	// goldenSpecDenies are what format 3 adds to goldenSpec: a deny in the
	// ACL and a deny grant input.
	goldenSpecDenies = struct {
		ACE   model.ACE
		Input model.GrantInput
	}{
		ACE: model.ACE{Grantee: goldenBob, Level: model.LevelAdmin, Effect: model.EffectDeny},
		Input: model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: "doc_8"}, Grantee: goldenEng,
			Level: model.LevelRead, Effect: model.EffectDeny, GrantedBy: "usr_x"},
	}
	goldenSteps = [2]store.JobStep{
		{Org: "org_a", JobID: "job_01", Index: 0, Resource: model.EntityRef{Type: "doc", ID: "doc_1"}, Status: model.JobNotStarted},
		{Org: "org_a", JobID: "job_01", Index: 1, Resource: model.EntityRef{Type: "doc", ID: "doc_2"}, Status: model.JobNotStarted},
	}
)

// goldenSpecOf is goldenSpec as a database of format version holds it.
func goldenSpecOf(version int) store.JobSpec {
	s := goldenSpec
	if version >= 3 {
		s.ACL = append(slices.Clone(s.ACL), goldenSpecDenies.ACE)
		s.Grants = append(slices.Clone(s.Grants), goldenSpecDenies.Input)
	}
	return s
}

// goldenCommitTime is when the golden commit of revision rev was made.
func goldenCommitTime(rev uint64) time.Time { return goldenTime.Add(time.Duration(rev) * time.Second) }

// goldenCommits are the golden database's commits, revisions 1 to 5; a
// checkpoint follows revision 3. Format 2's had no deny, no links and no
// grant replaced by another id.
func goldenCommits(t *testing.T) []func(w *store.WriteTxn) {
	add := func(w *store.WriteTxn, org string, m model.Membership) {
		added, err := w.AddMembership(org, m)
		require.NoError(t, err)
		require.True(t, added)
	}
	link := func(w *store.WriteTxn, l model.EntityLink) {
		added, err := w.AddLink("org_a", l)
		require.NoError(t, err)
		require.True(t, added)
	}
	return []func(w *store.WriteTxn){
		func(w *store.WriteTxn) {
			for _, g := range []model.Grant{goldenPlain, goldenWindow, goldenEnding, goldenDeny} {
				require.NoError(t, w.PutGrant(g))
			}
		},
		func(w *store.WriteTxn) {
			add(w, "org_a", model.Membership{Member: goldenAlice, Group: goldenEng})
			add(w, "org_a", model.Membership{Member: goldenEng, Group: goldenRnD})
			add(w, "org_b", model.Membership{Member: goldenBob, Group: goldenOps})
			link(w, goldenDocLink)
			link(w, goldenGoneLink)
		},
		func(w *store.WriteTxn) {
			require.NoError(t, w.PutJob(goldenJob))
			require.NoError(t, w.PutJobSpec(goldenSpecOf(disk.FormatVersion)))
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
			link(w, goldenRootLink)
		},
		func(w *store.WriteTxn) {
			unlinked, err := w.RemoveLink("org_a", goldenGoneLink)
			require.NoError(t, err)
			require.True(t, unlinked)
			found, err := w.DeleteGrant(goldenGone)
			require.NoError(t, err)
			require.True(t, found)
			removed, err := w.RemoveMembership("org_b", model.Membership{Member: goldenBob, Group: goldenOps})
			require.NoError(t, err)
			require.True(t, removed)
			require.NoError(t, w.PutGrant(goldenRenewed))
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
		require.NoError(t, d.Append(cs, goldenCommitTime(cs.Revision)))
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

// TestGoldenDatabaseOpens opens the golden database of this version and
// of version 2, which is still read (by its own rules: no denies, no links,
// no commit times), to the same answers but what version 3 added.
func TestGoldenDatabaseOpens(t *testing.T) {
	for _, version := range []int{2, disk.FormatVersion} {
		t.Run(strconv.Itoa(version), func(t *testing.T) { testGoldenOpens(t, version) })
	}
}

func testGoldenOpens(t *testing.T, version int) {
	// A copy: Open takes a lock and Load may write.
	dir := copyDir(t, goldenPath(version))
	s, err := store.New()
	require.NoError(t, err)
	var replayed []uint64
	var times []time.Time
	var replaced []*model.Grant
	d, err := disk.Open(dir, disk.Options{OnReplay: func(cs store.ChangeSet, at time.Time) {
		replayed, times = append(replayed, cs.Revision), append(times, at)
		for _, gc := range cs.Grants {
			if gc.Replaced != nil && gc.Replaced.ID != gc.Grant.ID {
				replaced = append(replaced, gc.Replaced)
			}
		}
	}})
	require.NoError(t, err)
	defer d.Close()
	rev, err := d.Load(s)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), rev)
	wantHighWater := goldenGone.ID
	if version >= 3 {
		wantHighWater = goldenRenewed.ID
		assert.Equal(t, []*model.Grant{&goldenEnding}, replaced, "revision 5's write over the ended grant, with the row it replaced")
	} else {
		assert.Empty(t, replaced)
	}
	assert.Equal(t, wantHighWater, d.GrantIDHighWater())
	assert.Equal(t, []uint64{4, 5}, replayed, "the commits after the snapshot, replayed")
	for i, at := range times {
		if version < 3 {
			assert.True(t, at.IsZero(), "format 2 recorded no commit time")
		} else {
			assert.True(t, goldenCommitTime(replayed[i]).Equal(at), "revision %d committed at %v", replayed[i], at)
		}
	}

	snap := s.Snapshot()
	r := snap.Read()
	assert.Equal(t, uint64(5), snap.Revision())
	raised := goldenPlain
	raised.Level, raised.UpdatedAt = model.LevelWrite, goldenTime.Add(time.Hour)
	want := []model.Grant{raised, goldenWindow, goldenEnding}
	if version >= 3 {
		want = []model.Grant{raised, goldenWindow, goldenRenewed, goldenDeny}
	}
	var grants []model.Grant
	require.NoError(t, r.EachGrant(func(g *model.Grant) bool {
		grants = append(grants, *g)
		return true
	}))
	assert.ElementsMatch(t, want, grants)
	for _, g := range want {
		got, ok := r.GrantByID(g.Org, g.ID)
		assert.True(t, ok, g.ID)
		assert.Equal(t, g, got)
	}
	if version >= 3 {
		got, ok := r.GrantWithEffect(goldenDeny.Org, goldenDeny.Entity, goldenDeny.Grantee, model.EffectDeny)
		assert.True(t, ok, "the deny under its key")
		assert.Equal(t, goldenDeny, got)
		_, ok = r.GrantByKey(goldenDeny.Org, goldenDeny.Entity, goldenDeny.Grantee)
		assert.False(t, ok, "a deny is not an allow")
	}
	_, ok := r.GrantByID(goldenGone.Org, goldenGone.ID)
	assert.False(t, ok, "deleted at revision 5")
	wantEnded := goldenEnding
	if version >= 3 {
		_, ok = r.GrantByID(goldenEnding.Org, goldenEnding.ID)
		assert.False(t, ok, "replaced at revision 5")
		wantEnded = goldenRenewed
	}
	var ended []string
	r.EndedGrants(goldenTime.Add(time.Hour), func(g model.Grant) bool {
		ended = append(ended, g.ID)
		return true
	})
	assert.Equal(t, []string{wantEnded.ID}, ended, "the expiry index is rebuilt")

	assert.True(t, r.HasMembership("org_a", model.Membership{Member: goldenAlice, Group: goldenEng}))
	assert.True(t, r.HasMembership("org_a", model.Membership{Member: goldenEng, Group: goldenRnD}))
	assert.False(t, r.HasMembership("org_b", model.Membership{Member: goldenBob, Group: goldenOps}), "removed at revision 5")
	var memberships int
	require.NoError(t, r.EachMembership(func(string, model.Membership) bool { memberships++; return true }))
	assert.Equal(t, 2, memberships)

	var links []model.EntityLink
	require.NoError(t, r.EachLink(func(org string, l model.EntityLink) bool {
		assert.Equal(t, "org_a", org)
		links = append(links, l)
		return true
	}))
	if version >= 3 {
		assert.Equal(t, []model.EntityLink{goldenDocLink, goldenRootLink}, links,
			"one link from the snapshot, one from the journal; doc_2's deleted at revision 5")
		var parents []model.EntityRef
		require.NoError(t, r.ParentsOf("org_a", goldenDocLink.Child, func(p model.EntityRef) bool {
			parents = append(parents, p)
			return true
		}))
		assert.Equal(t, []model.EntityRef{goldenFolder}, parents, "the parent index is rebuilt")
		assert.False(t, r.HasLink("org_a", goldenGoneLink))
	} else {
		assert.Empty(t, links, "format 2 had no links")
	}

	job, ok := r.Job("org_a", "job_01")
	require.True(t, ok)
	wantJob := goldenJob
	wantJob.Status, wantJob.StartTime, wantJob.EndTime = model.JobPartiallySucceeded, goldenTime, goldenTime.Add(2*time.Second)
	wantJob.StepsProcessed, wantJob.StepsSucceeded, wantJob.StepsFailed = 2, 1, 1
	assert.Equal(t, wantJob, job)
	spec, ok := r.JobSpec("org_a", "job_01")
	require.True(t, ok)
	assert.Equal(t, goldenSpecOf(version), spec, "ACL and grant input effects")
	var steps []store.JobStep
	require.NoError(t, r.JobSteps("org_a", "job_01", func(s store.JobStep) bool {
		steps = append(steps, s)
		return true
	}))
	wantSteps := goldenSteps
	wantSteps[0].Status, wantSteps[0].StartTime, wantSteps[0].EndTime = model.JobSucceeded, goldenTime, goldenTime.Add(time.Second)
	wantSteps[1].Status, wantSteps[1].StartTime, wantSteps[1].EndTime = model.JobFailed, goldenTime.Add(time.Second), goldenTime.Add(2*time.Second)
	wantSteps[1].Errors = []model.Error{{Code: model.CodeValidation, Message: "grantee_id is required", Field: model.FieldGranteeID}}
	assert.Equal(t, wantSteps[:], steps)
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
