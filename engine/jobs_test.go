package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

const jobRequester = "usr_requester"

// jobACLOf reads the grants on entity as grantee -> grant.
func jobACLOf(t testing.TB, e *engine.Engine, org string, entity model.EntityRef) map[model.Subject]model.Grant {
	t.Helper()
	out := map[model.Subject]model.Grant{}
	for _, g := range listAll(t, e, org, model.GrantQuery{Entity: entity}) {
		out[g.Grantee] = g
	}
	return out
}

// jobLevelsOf reduces an ACL to grantee -> level.
func jobLevelsOf(acl map[model.Subject]model.Grant) map[model.Subject]model.Level {
	out := map[model.Subject]model.Level{}
	for s, g := range acl {
		out[s] = g.Level
	}
	return out
}

// runJobToEnd submits spec and waits for it to end.
func runJobToEnd(t testing.TB, e *engine.Engine, org string, spec bulk.JobSpec) bulk.JobSummary {
	t.Helper()
	ctx := context.Background()
	sub, err := e.SubmitJob(ctx, org, spec)
	require.NoError(t, err)
	sum, err := e.WaitJob(ctx, org, sub.ID)
	require.NoError(t, err)
	return sum
}

// jobAllSteps lists every step of an ended job.
func jobAllSteps(t testing.TB, e *engine.Engine, org, id string) []bulk.JobStep {
	t.Helper()
	steps, err := e.JobSteps(context.Background(), org, id, bulk.FilterAll, 0, 1<<20)
	require.NoError(t, err)
	return steps
}

func jobDocs(ids ...string) []model.EntityRef {
	out := make([]model.EntityRef, len(ids))
	for i, id := range ids {
		out[i] = doc(id)
	}
	return out
}

func jobInput(entity model.EntityRef, grantee model.Subject, l model.Level) model.GrantInput {
	return model.GrantInput{Entity: entity, Grantee: grantee, Level: l, GrantedBy: "usr_admin"}
}

var (
	jobAlice = model.User("alice")
	jobBob   = model.User("bob")
	jobCarol = model.User("carol")
	jobDave  = model.Role("dave")
)

type jobLevels = map[model.Subject]model.Level

func TestJobOperations(t *testing.T) {
	R, W, A := model.LevelRead, model.LevelWrite, model.LevelAdmin
	before := []model.GrantInput{
		jobInput(doc("a"), jobAlice, R), jobInput(doc("a"), jobBob, W), jobInput(doc("a"), jobDave, R),
		jobInput(doc("b"), jobAlice, W),
	}
	cases := []struct {
		name  string
		spec  bulk.JobSpec
		steps int
		want  map[model.EntityRef]jobLevels
	}{
		{
			name: "replace_all leaves exactly the ACL",
			spec: bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a", "b", "c", "a"),
				ACL: []bulk.ACE{{Grantee: jobBob, Level: A}, {Grantee: jobCarol, Level: R}}},
			steps: 3,
			want: map[model.EntityRef]jobLevels{
				doc("a"): {jobBob: A, jobCarol: R}, doc("b"): {jobBob: A, jobCarol: R}, doc("c"): {jobBob: A, jobCarol: R},
			},
		},
		{
			name:  "replace_all with an empty ACL clears the resource",
			spec:  bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a")},
			steps: 1,
			want:  map[model.EntityRef]jobLevels{doc("a"): {}, doc("b"): {jobAlice: W}},
		},
		{
			name: "replace_grantees touches only the named grantees",
			spec: bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Resources: jobDocs("a", "b"),
				Grantees: []model.Subject{jobBob, jobCarol, jobDave},
				ACL:      []bulk.ACE{{Grantee: jobBob, Level: R}, {Grantee: jobCarol, Level: W}}},
			steps: 2,
			want: map[model.EntityRef]jobLevels{
				doc("a"): {jobAlice: R, jobBob: R, jobCarol: W}, doc("b"): {jobAlice: W, jobBob: R, jobCarol: W},
			},
		},
		{
			name: "revoke of named grantees",
			spec: bulk.JobSpec{Operation: bulk.OpRevoke, Resources: jobDocs("a", "b"),
				Grantees: []model.Subject{jobAlice, jobDave}},
			steps: 2,
			want:  map[model.EntityRef]jobLevels{doc("a"): {jobBob: W}, doc("b"): {}},
		},
		{
			name:  "revoke of every grantee",
			spec:  bulk.JobSpec{Operation: bulk.OpRevoke, Resources: jobDocs("a")},
			steps: 1,
			want:  map[model.EntityRef]jobLevels{doc("a"): {}, doc("b"): {jobAlice: W}},
		},
		{
			name: "create skips duplicates",
			spec: bulk.JobSpec{Operation: bulk.OpCreate, Grants: []model.GrantInput{
				{Entity: doc("a"), Grantee: jobAlice, Level: A},
				{Entity: doc("c"), Grantee: jobCarol, Level: R},
				{Entity: doc("a"), Grantee: jobCarol, Level: W},
				{Entity: doc("c"), Grantee: jobCarol, Level: A}, // repeats an input of its step
			}},
			steps: 2,
			want: map[model.EntityRef]jobLevels{
				doc("a"): {jobAlice: R, jobBob: W, jobDave: R, jobCarol: W}, doc("c"): {jobCarol: R},
			},
		},
		{
			name: "create upserts duplicates",
			spec: bulk.JobSpec{Operation: bulk.OpCreate, Mode: bulk.Upsert, Grants: []model.GrantInput{
				{Entity: doc("a"), Grantee: jobAlice, Level: A},
				{Entity: doc("c"), Grantee: jobCarol, Level: R},
				{Entity: doc("c"), Grantee: jobCarol, Level: A},
			}},
			steps: 2,
			want: map[model.EntityRef]jobLevels{
				doc("a"): {jobAlice: A, jobBob: W, jobDave: R}, doc("c"): {jobCarol: A},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			for _, g := range before {
				mustCreate(t, e, testOrg, g)
			}
			old := map[model.EntityRef]map[model.Subject]model.Grant{}
			for entity := range tc.want {
				old[entity] = jobACLOf(t, e, testOrg, entity)
			}
			tc.spec.RequestedBy = jobRequester
			sum := runJobToEnd(t, e, testOrg, tc.spec)

			assert.Equal(t, bulk.JobSucceeded, sum.Status)
			assert.Equal(t, tc.steps, sum.TotalSteps)
			assert.Equal(t, tc.steps, sum.StepsSucceeded)
			assert.Equal(t, tc.steps, sum.StepsProcessed)
			assert.Zero(t, sum.StepsFailed)
			assert.Equal(t, tc.spec.Operation, sum.Operation)
			assert.Equal(t, jobRequester, sum.RequestedBy)
			for entity, want := range tc.want {
				got := jobACLOf(t, e, testOrg, entity)
				assert.Equal(t, want, jobLevelsOf(got), "grants on %s", entity)
				for s, g := range got {
					if prev, ok := old[entity][s]; ok {
						// A grant that survives keeps its id.
						assert.Equal(t, prev.ID, g.ID, "id of %s on %s", s, entity)
						assert.Equal(t, prev.GrantedBy, g.GrantedBy)
					} else {
						assert.Equal(t, jobRequester, g.GrantedBy, "granter of new %s on %s", s, entity)
					}
				}
			}
		})
	}
}

func TestSubmitJobRefusesBadSpecs(t *testing.T) {
	acl := []bulk.ACE{{Grantee: jobBob, Level: model.LevelRead}}
	cases := []struct {
		name  string
		spec  bulk.JobSpec
		field string
	}{
		{"unknown operation", bulk.JobSpec{Operation: "update_all", Resources: jobDocs("a")}, "operation"},
		{"no operation", bulk.JobSpec{Resources: jobDocs("a")}, "operation"},
		{"replace_all without scope", bulk.JobSpec{Operation: bulk.OpReplaceAll, ACL: acl}, "resources"},
		{"replace_all with both scopes", bulk.JobSpec{Operation: bulk.OpReplaceAll, ACL: acl, Resources: jobDocs("a"), EntityType: "document"}, "resources"},
		{"revoke without scope", bulk.JobSpec{Operation: bulk.OpRevoke}, "resources"},
		{"replace_grantees with both scopes", bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Grantees: []model.Subject{jobBob}, Resources: jobDocs("a"), EntityType: "document"}, "resources"},
		{"malformed namespace type", bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "Document"}, model.FieldEntityType},
		{"create with resources", bulk.JobSpec{Operation: bulk.OpCreate, Resources: jobDocs("a"), Grants: []model.GrantInput{grantInput("a", "alice")}}, "resources"},
		{"create with a namespace", bulk.JobSpec{Operation: bulk.OpCreate, EntityType: "document", Grants: []model.GrantInput{grantInput("a", "alice")}}, model.FieldEntityType},
		{"create all or nothing", bulk.JobSpec{Operation: bulk.OpCreate, Mode: bulk.AllOrNothing, Grants: []model.GrantInput{grantInput("a", "alice")}}, "mode"},
		{"create with an unknown mode", bulk.JobSpec{Operation: bulk.OpCreate, Mode: bulk.Mode(42)}, "mode"},
		{"ACL entry of a grantee not replaced", bulk.JobSpec{Operation: bulk.OpReplaceGrantees, Resources: jobDocs("a"), Grantees: []model.Subject{jobAlice}, ACL: acl}, model.FieldGranteeID},
		{"ACL entry with no level", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a"), ACL: []bulk.ACE{{Grantee: jobBob}}}, model.FieldAccessLevel},
		{"ACL entry with a bad grantee type", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a"), ACL: []bulk.ACE{{Grantee: model.Subject{Type: "team", ID: "x"}, Level: model.LevelRead}}}, model.FieldGranteeType},
		{"ACL entry with an empty grantee id", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a"), ACL: []bulk.ACE{{Grantee: model.User(""), Level: model.LevelRead}}}, model.FieldGranteeID},
		{"two ACL entries of one grantee", bulk.JobSpec{Operation: bulk.OpReplaceAll, Resources: jobDocs("a"), ACL: append(acl, bulk.ACE{Grantee: jobBob, Level: model.LevelAdmin})}, model.FieldGranteeID},
		{"bad grantee to revoke", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: jobDocs("a"), Grantees: []model.Subject{{Type: "user", ID: "a\x00b"}}}, model.FieldGranteeID},
		{"bad requester", bulk.JobSpec{Operation: bulk.OpRevoke, Resources: jobDocs("a"), RequestedBy: "x\ny"}, "requested_by"},
	}
	e, _ := newTestEngine(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.SubmitJob(ctx, testOrg, tc.spec)
			requireModelError(t, err, model.ErrValidation, tc.field)
		})
	}
	jobs, err := e.Jobs(ctx, testOrg)
	require.NoError(t, err)
	assert.Empty(t, jobs, "a refused spec stores no job")
}

func TestJobStepFailures(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithEntityTypes("document", "folder"))
	mustCreate(t, e, testOrg, jobInput(doc("a"), jobAlice, model.LevelRead))
	acl := []bulk.ACE{{Grantee: jobBob, Level: model.LevelWrite}}

	t.Run("a bad resource fails its step only", func(t *testing.T) {
		sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpReplaceAll, ACL: acl,
			Resources: []model.EntityRef{doc("a"), {Type: "stream", ID: "s1"}, doc("")}})
		assert.Equal(t, bulk.JobPartiallySucceeded, sum.Status)
		assert.Equal(t, []int{1, 2, 3, 3}, []int{sum.StepsSucceeded, sum.StepsFailed, sum.StepsProcessed, sum.TotalSteps})
		steps := jobAllSteps(t, e, testOrg, sum.ID)
		require.Len(t, steps, 3)
		assert.Equal(t, bulk.JobSucceeded, steps[0].Status)
		assert.Empty(t, steps[0].Errors)
		assert.Equal(t, bulk.JobFailed, steps[1].Status)
		require.Len(t, steps[1].Errors, 1)
		assert.Equal(t, model.Error{Code: model.CodeValidation, Field: model.FieldEntityType,
			Message: "entity_type must be one of {'document', 'folder'}"}, steps[1].Errors[0])
		require.Len(t, steps[2].Errors, 1)
		assert.Equal(t, model.FieldEntityID, steps[2].Errors[0].Field)
		assert.Equal(t, jobLevels{jobBob: model.LevelWrite}, jobLevelsOf(jobACLOf(t, e, testOrg, doc("a"))))

		// Steps are copies.
		steps[1].Errors[0].Message = "changed"
		assert.NotEqual(t, "changed", jobAllSteps(t, e, testOrg, sum.ID)[1].Errors[0].Message)
	})

	t.Run("every step failing fails the job", func(t *testing.T) {
		sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpRevoke,
			Resources: []model.EntityRef{{Type: "stream", ID: "s1"}, {Type: "stream", ID: "s2"}}})
		assert.Equal(t, bulk.JobFailed, sum.Status)
		assert.Equal(t, []int{0, 2, 2, 2}, []int{sum.StepsSucceeded, sum.StepsFailed, sum.StepsProcessed, sum.TotalSteps})
	})

	t.Run("a bad grant fails its whole step and nothing of it is written", func(t *testing.T) {
		sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpCreate, Grants: []model.GrantInput{
			jobInput(doc("b"), jobAlice, model.LevelRead),
			jobInput(doc("c"), jobAlice, model.LevelRead),
			jobInput(doc("b"), jobBob, model.LevelNone),
			jobInput(doc("b"), model.Subject{Type: "team", ID: "t"}, model.LevelRead),
		}})
		assert.Equal(t, bulk.JobPartiallySucceeded, sum.Status)
		steps := jobAllSteps(t, e, testOrg, sum.ID)
		require.Len(t, steps, 2)
		assert.Equal(t, doc("b"), steps[0].Resource)
		assert.Equal(t, bulk.JobFailed, steps[0].Status)
		require.Len(t, steps[0].Errors, 2)
		assert.Equal(t, model.FieldAccessLevel, steps[0].Errors[0].Field)
		assert.True(t, strings.HasPrefix(steps[0].Errors[0].Message, "grants[2]: "), steps[0].Errors[0].Message)
		assert.Equal(t, model.FieldGranteeType, steps[0].Errors[1].Field)
		assert.Empty(t, jobACLOf(t, e, testOrg, doc("b")))
		assert.Equal(t, jobLevels{jobAlice: model.LevelRead}, jobLevelsOf(jobACLOf(t, e, testOrg, doc("c"))))
	})
}

func TestJobOfNoStepsSucceedsAtOnce(t *testing.T) {
	e, _ := newTestEngine(t)
	sub, err := e.SubmitJob(context.Background(), testOrg, bulk.JobSpec{Operation: bulk.OpRevoke, EntityType: "document"})
	require.NoError(t, err)
	assert.Equal(t, bulk.JobSucceeded, sub.Status)
	assert.Zero(t, sub.TotalSteps)
	assert.Equal(t, t0.UTC(), sub.StartTime)
	assert.Equal(t, sub.StartTime, sub.EndTime)
	steps := jobAllSteps(t, e, testOrg, sub.ID)
	assert.Empty(t, steps)
}

func TestJobNamespaceScope(t *testing.T) {
	e, clock := newTestEngine(t)
	ended := jobInput(doc("c"), jobAlice, model.LevelRead)
	ended.EffectiveTo = t0.Add(time.Minute)
	mustCreate(t, e, testOrg, ended)
	for _, g := range []model.GrantInput{
		jobInput(doc("b"), jobAlice, model.LevelRead), jobInput(doc("b"), jobBob, model.LevelRead),
		jobInput(doc("a"), jobCarol, model.LevelRead), jobInput(folder("a"), jobAlice, model.LevelRead),
	} {
		mustCreate(t, e, testOrg, g)
	}
	mustCreate(t, e, otherOrg, jobInput(doc("z"), jobAlice, model.LevelRead))
	clock.Advance(time.Hour) // doc c's only grant has ended

	// A grant made once the job runs is not in its scope.
	engine.SetJobStepHook(e, func(ctx context.Context, _ string, step int) {
		if step == 0 {
			_, err := e.CreateGrant(ctx, testOrg, jobInput(doc("d"), jobAlice, model.LevelRead))
			assert.NoError(t, err)
		}
	})
	sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpReplaceAll, EntityType: "document",
		ACL: []bulk.ACE{{Grantee: jobDave, Level: model.LevelAdmin}}})
	assert.Equal(t, bulk.JobSucceeded, sum.Status)
	assert.Equal(t, 2, sum.TotalSteps)
	var got []model.EntityRef
	for _, s := range jobAllSteps(t, e, testOrg, sum.ID) {
		got = append(got, s.Resource)
	}
	assert.Equal(t, jobDocs("a", "b"), got, "entities with a live grant, in id order")
	for _, d := range jobDocs("a", "b") {
		assert.Equal(t, jobLevels{jobDave: model.LevelAdmin}, jobLevelsOf(jobACLOf(t, e, testOrg, d)))
	}
	assert.Equal(t, jobLevels{jobAlice: model.LevelRead}, jobLevelsOf(jobACLOf(t, e, testOrg, doc("d"))))
	assert.Equal(t, jobLevels{jobAlice: model.LevelRead}, jobLevelsOf(jobACLOf(t, e, testOrg, folder("a"))))
	assert.Equal(t, jobLevels{jobAlice: model.LevelRead}, jobLevelsOf(jobACLOf(t, e, otherOrg, doc("z"))))
}

// jobStepResources returns the entity ids of steps.
func jobStepResources(steps []bulk.JobStep) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Resource.ID)
	}
	return out
}

func TestJobStepsPagingAndFiltering(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	var resources []model.EntityRef
	for i := range 10 {
		r := doc(fmt.Sprintf("d%d", i))
		if i == 2 || i == 5 || i == 7 {
			r.Type = "Bad" // fails its step
		}
		resources = append(resources, r)
	}
	spec := bulk.JobSpec{Operation: bulk.OpRevoke, Resources: resources}

	// Before the job ends its steps are not listed.
	engine.SetJobStepHook(e, func(ctx context.Context, jobID string, step int) {
		if step == 1 {
			_, err := e.JobSteps(ctx, testOrg, jobID, bulk.FilterAll, 0, 0)
			requireModelError(t, err, model.ErrConflict, "job_id")
		}
	})
	id := runJobToEnd(t, e, testOrg, spec).ID

	cases := []struct {
		filter      bulk.StepFilter
		skip, count int
		want        []string
	}{
		{bulk.FilterAll, 0, 0, []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"}},
		{bulk.FilterAll, 3, 4, []string{"d3", "d4", "d5", "d6"}},
		{bulk.FilterAll, 8, 5, []string{"d8", "d9"}},
		{bulk.FilterAll, 10, 5, []string{}},
		{bulk.FilterSuccess, 0, 0, []string{"d0", "d1", "d3", "d4", "d6", "d8", "d9"}},
		{bulk.FilterSuccess, 2, 3, []string{"d3", "d4", "d6"}},
		{bulk.FilterFailure, 0, 0, []string{"d2", "d5", "d7"}},
		{bulk.FilterFailure, 1, 1, []string{"d5"}},
		{bulk.FilterFailure, 3, 1, []string{}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("filter %d skip %d count %d", tc.filter, tc.skip, tc.count), func(t *testing.T) {
			steps, err := e.JobSteps(ctx, testOrg, id, tc.filter, tc.skip, tc.count)
			require.NoError(t, err)
			assert.Equal(t, tc.want, jobStepResources(steps))
			for _, s := range steps {
				switch tc.filter {
				case bulk.FilterSuccess:
					assert.Equal(t, bulk.JobSucceeded, s.Status)
				case bulk.FilterFailure:
					assert.Equal(t, bulk.JobFailed, s.Status)
				}
			}
		})
	}

	bad := []struct {
		name        string
		filter      bulk.StepFilter
		skip, count int
		field       string
	}{
		{"negative skip", bulk.FilterAll, -1, 0, "skip"},
		{"negative count", bulk.FilterAll, 0, -1, "count"},
		{"unknown filter", bulk.StepFilter(7), 0, 0, "filter"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.JobSteps(ctx, testOrg, id, tc.filter, tc.skip, tc.count)
			requireModelError(t, err, model.ErrValidation, tc.field)
		})
	}
}

func TestJobStepsDefaultCount(t *testing.T) {
	e, _ := newTestEngine(t)
	resources := make([]model.EntityRef, bulk.DefaultStepCount+5)
	for i := range resources {
		resources[i] = doc(fmt.Sprintf("d%03d", i))
	}
	sum := runJobToEnd(t, e, testOrg, bulk.JobSpec{Operation: bulk.OpRevoke, Resources: resources})
	steps, err := e.JobSteps(context.Background(), testOrg, sum.ID, bulk.FilterAll, 0, 0)
	require.NoError(t, err)
	assert.Len(t, steps, bulk.DefaultStepCount)
	steps, err = e.JobSteps(context.Background(), testOrg, sum.ID, bulk.FilterAll, bulk.DefaultStepCount, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"d100", "d101", "d102", "d103", "d104"}, jobStepResources(steps))
}
