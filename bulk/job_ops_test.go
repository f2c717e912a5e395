package bulk_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

func streamRef(id string) model.EntityRef { return model.EntityRef{Type: "stream", ID: id} }

// runJob submits spec as job id in org_a, runs it to its end and returns its
// final summary.
func runJob(t *testing.T, c *storeCommitter, id string, spec bulk.JobSpec) bulk.JobSummary {
	t.Helper()
	v, err := model.NewValidator()
	require.NoError(t, err)
	require.NoError(t, bulk.ValidateJobSpec(v, spec))
	submit(t, c, "org_a", id, spec)
	ctx := context.Background()
	run, err := bulk.StartJob(ctx, c, v, "org_a", id)
	require.NoError(t, err)
	for more := run != nil; more; {
		more, err = run.Step(ctx)
		require.NoError(t, err)
	}
	sum, err := bulk.JobSummaryTxn(c.s.Snapshot().Read(), "org_a", id)
	require.NoError(t, err)
	return sum
}

func steps(t *testing.T, c *storeCommitter, id string, filter bulk.StepFilter, skip, count int) []bulk.JobStep {
	t.Helper()
	out, err := bulk.JobStepsTxn(c.s.Snapshot().Read(), "org_a", id, filter, skip, count)
	require.NoError(t, err)
	return out
}

// grantsOn returns the live grants on res, by grantee.
func grantsOn(c *storeCommitter, res model.EntityRef) map[model.Subject]model.Grant {
	out := map[model.Subject]model.Grant{}
	_ = c.s.Snapshot().Read().ScanGrants(store.GrantScan{Org: "org_a", Entity: res}, func(_ string, g model.Grant) bool {
		out[g.Grantee] = g
		return true
	})
	return out
}

func TestCreateJob(t *testing.T) {
	c := newCommitter(t)
	in := func(res, user string, level model.Level) model.GrantInput {
		return model.GrantInput{Entity: streamRef(res), Grantee: model.User(user), Level: level}
	}
	first := runJob(t, c, "job_1", bulk.JobSpec{Operation: bulk.OpCreate, RequestedBy: "usr_admin",
		Grants: []model.GrantInput{in("s1", "u1", model.LevelRead)}})
	require.Equal(t, bulk.JobSucceeded, first.Status)
	before := grantsOn(c, streamRef("s1"))[model.User("u1")]
	assert.Equal(t, "usr_admin", before.GrantedBy, "a grant with no granter is the requester's")

	bad := in("s2", "u2", model.LevelRead)
	bad.Grantee.ID = ""
	own := in("s3", "u3", model.LevelWrite)
	own.GrantedBy = "usr_other"
	spec := bulk.JobSpec{Operation: bulk.OpCreate, RequestedBy: "usr_admin", Grants: []model.GrantInput{
		in("s1", "u1", model.LevelAdmin), // duplicate: skipped
		in("s2", "u1", model.LevelRead),
		bad, // fails step s2 whole
		own,
	}}
	sum := runJob(t, c, "job_2", spec)
	assert.Equal(t, bulk.JobPartiallySucceeded, sum.Status)
	assert.Equal(t, 3, sum.TotalSteps)
	assert.Equal(t, 1, sum.StepsFailed)
	assert.Equal(t, model.LevelRead, grantsOn(c, streamRef("s1"))[model.User("u1")].Level, "skipped")
	assert.Empty(t, grantsOn(c, streamRef("s2")), "a failed step writes nothing")
	assert.Equal(t, "usr_other", grantsOn(c, streamRef("s3"))[model.User("u3")].GrantedBy)

	failed := steps(t, c, "job_2", bulk.FilterFailure, 0, 0)
	require.Len(t, failed, 1)
	assert.Equal(t, streamRef("s2"), failed[0].Resource)
	require.Len(t, failed[0].Errors, 1)
	assert.Equal(t, model.FieldGranteeID, failed[0].Errors[0].Field)
	assert.Contains(t, failed[0].Errors[0].Message, "grants[2]: ")
	assert.Len(t, steps(t, c, "job_2", bulk.FilterSuccess, 0, 0), 2)

	spec.Mode = bulk.Upsert
	spec.Grants = spec.Grants[:1]
	runJob(t, c, "job_3", spec)
	after := grantsOn(c, streamRef("s1"))[model.User("u1")]
	assert.Equal(t, model.LevelAdmin, after.Level, "upserted")
	assert.Equal(t, before.ID, after.ID)
}

func TestReplaceAndRevokeJobs(t *testing.T) {
	c := newCommitter(t)
	s1, s2 := streamRef("s1"), streamRef("s2")
	ops, dev, eve := model.Role("ops"), model.Role("dev"), model.User("eve")
	runJob(t, c, "job_1", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: []model.EntityRef{s1, s2, s1},
		ACL: []bulk.ACE{{Grantee: ops, Level: model.LevelRead}, {Grantee: dev, Level: model.LevelWrite}, {Grantee: eve, Level: model.LevelRead}}})
	assert.Len(t, grantsOn(c, s1), 3)
	opsID := grantsOn(c, s1)[ops].ID

	// Replace ops and dev only: ops changes level and keeps its id, dev goes.
	sum := runJob(t, c, "job_2", bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Resources: []model.EntityRef{s1},
		Grantees: []model.Subject{ops, dev}, ACL: []bulk.ACE{{Grantee: ops, Level: model.LevelAdmin}}})
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	got := grantsOn(c, s1)
	assert.Equal(t, model.LevelAdmin, got[ops].Level)
	assert.Equal(t, opsID, got[ops].ID)
	assert.NotContains(t, got, dev)
	assert.Contains(t, got, eve, "out of scope: untouched")

	// Replace all on s1: exactly the ACL.
	runJob(t, c, "job_3", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: []model.EntityRef{s1},
		ACL: []bulk.ACE{{Grantee: dev, Level: model.LevelRead}}})
	got = grantsOn(c, s1)
	assert.Len(t, got, 1)
	assert.Contains(t, got, dev)

	// Revoke eve everywhere in the namespace, then everyone on s2.
	sum = runJob(t, c, "job_4", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "stream", Grantees: []model.Subject{eve}})
	assert.Equal(t, 2, sum.TotalSteps, "the namespace: every stream with a grant")
	assert.NotContains(t, grantsOn(c, s2), eve)
	assert.Len(t, grantsOn(c, s2), 2)
	runJob(t, c, "job_5", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: []model.EntityRef{s2}})
	assert.Empty(t, grantsOn(c, s2))

	// A bad resource fails its step.
	sum = runJob(t, c, "job_6", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: []model.EntityRef{{Type: "stream"}}})
	assert.Equal(t, bulk.JobFailed, sum.Status)

	// A namespace with no grants: no steps, done at once.
	sum = runJob(t, c, "job_7", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "empty"})
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Zero(t, sum.TotalSteps)

	all, err := bulk.JobSummariesTxn(c.s.Snapshot().Read(), "org_a")
	require.NoError(t, err)
	require.Len(t, all, 7)
	assert.Equal(t, "job_7", all[0].ID, "newest first")
	assert.Equal(t, "job_1", all[6].ID)
}

func TestCancelJobAndListSteps(t *testing.T) {
	c := newCommitter(t)
	v, err := model.NewValidator()
	require.NoError(t, err)
	res := []model.EntityRef{streamRef("s1"), streamRef("s2"), streamRef("s3"), streamRef("s4")}
	submit(t, c, "org_a", "job_1", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: res,
		ACL: []bulk.ACE{{Grantee: model.Role("ops"), Level: model.LevelRead}}})
	ctx := context.Background()
	run, err := bulk.StartJob(ctx, c, v, "org_a", "job_1")
	require.NoError(t, err)
	_, err = run.Step(ctx)
	require.NoError(t, err)

	_, err = bulk.JobStepsTxn(c.s.Snapshot().Read(), "org_a", "job_1", bulk.FilterAll, 0, 0)
	assert.ErrorIs(t, err, model.ErrConflict, "steps are listed once the job has ended")

	cancel := func(id string) (bulk.JobSummary, error) {
		var sum bulk.JobSummary
		err := c.CommitJob(ctx, func(tx *store.WriteTxn) error {
			var err error
			sum, err = bulk.CancelJobTxn(tx, "org_a", id, c.Now())
			return err
		})
		return sum, err
	}
	sum, err := cancel("job_1")
	require.NoError(t, err)
	assert.Equal(t, bulk.JobCancelled, sum.Status)
	assert.False(t, sum.EndTime.IsZero())
	again, err := cancel("job_1")
	require.NoError(t, err)
	assert.Equal(t, sum, again, "cancelling an ended job changes nothing")
	_, err = cancel("job_9")
	assert.ErrorIs(t, err, model.ErrNotFound)
	_, err = cancel("")
	assert.ErrorIs(t, err, model.ErrValidation)

	more, err := run.Step(ctx)
	require.NoError(t, err)
	assert.False(t, more, "a cancelled job runs no further step")

	all := steps(t, c, "job_1", bulk.FilterAll, 0, 0)
	require.Len(t, all, 4)
	assert.Equal(t, bulk.JobSucceeded, all[0].Status)
	for _, s := range all[1:] {
		assert.Equal(t, bulk.JobCancelled, s.Status)
	}
	page := steps(t, c, "job_1", bulk.FilterAll, 1, 2)
	assert.Equal(t, all[1:3], page)
	assert.Empty(t, steps(t, c, "job_1", bulk.FilterFailure, 0, 0))
	assert.Len(t, steps(t, c, "job_1", bulk.FilterSuccess, 0, 0), 1)

	r := c.s.Snapshot().Read()
	for _, tc := range []struct {
		filter      bulk.StepFilter
		skip, count int
		field       string
	}{
		{bulk.StepFilter(5), 0, 0, "filter"},
		{bulk.FilterAll, -1, 0, "skip"},
		{bulk.FilterAll, 0, -1, "count"},
	} {
		_, err := bulk.JobStepsTxn(r, "org_a", "job_1", tc.filter, tc.skip, tc.count)
		var me *model.Error
		require.ErrorAs(t, err, &me)
		assert.Equal(t, tc.field, me.Field)
	}
	_, err = bulk.JobStepsTxn(r, "org_a", "job_9", bulk.FilterAll, 0, 0)
	assert.ErrorIs(t, err, model.ErrNotFound)
}

func TestValidateJobSpec(t *testing.T) {
	v, err := model.NewValidator("stream")
	require.NoError(t, err)
	s1 := []model.EntityRef{streamRef("s1")}
	ops := model.Role("ops")
	cases := []struct {
		name  string
		spec  bulk.JobSpec
		field string // "" when valid
	}{
		{"create", bulk.JobSpec{Operation: bulk.OpCreate, Mode: bulk.Upsert}, ""},
		{"revoke all on resources", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: s1}, ""},
		{"replace grantees", bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Resources: s1, Grantees: []model.Subject{ops},
			ACL: []bulk.ACE{{Grantee: ops, Level: model.LevelRead}}}, ""},
		{"unknown operation", bulk.JobSpec{Operation: "update_all"}, "operation"},
		{"bad requester", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: s1, RequestedBy: "a\x00"}, "requested_by"},
		{"create with resources", bulk.JobSpec{Operation: bulk.OpCreate, Resources: s1}, "resources"},
		{"create with a type", bulk.JobSpec{Operation: bulk.OpCreate, EntityType: "stream"}, model.FieldEntityType},
		{"create all or nothing", bulk.JobSpec{Operation: bulk.OpCreate, Mode: bulk.AllOrNothing}, bulk.FieldMode},
		{"no scope", bulk.JobSpec{Operation: bulk.OpRevoke}, "resources"},
		{"both scopes", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: s1, EntityType: "stream"}, "resources"},
		{"unknown type", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "doc"}, model.FieldEntityType},
		{"bad grantee", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: s1, Grantees: []model.Subject{{Type: "team", ID: "x"}}}, model.FieldGranteeType},
		{"bad ACL grantee", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: s1, ACL: []bulk.ACE{{Grantee: model.User(""), Level: model.LevelRead}}}, model.FieldGranteeID},
		{"bad ACL level", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: s1, ACL: []bulk.ACE{{Grantee: ops}}}, model.FieldAccessLevel},
		{"two entries", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: s1, ACL: []bulk.ACE{{Grantee: ops, Level: model.LevelRead}, {Grantee: ops, Level: model.LevelAdmin}}}, model.FieldGranteeID},
		{"entry not replaced", bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Resources: s1, ACL: []bulk.ACE{{Grantee: ops, Level: model.LevelRead}}}, model.FieldGranteeID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := bulk.ValidateJobSpec(v, tc.spec)
			if tc.field == "" {
				assert.NoError(t, err)
				return
			}
			var me *model.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, model.CodeValidation, me.Code)
			assert.Equal(t, tc.field, me.Field)
		})
	}
}
