package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const jobsPath = "/api/v1-preview/tenants/tenant1/namespaces/ns1/bulk/accesscontrol/jobs"

// The AVEVA page's examples, verbatim.
const (
	seedJobSummary = `{ "Id": "string", "Name": "string", "Description": "string", "OperationId": "string", "StartTime": "2019-08-24T14:15:22Z", "EndTime": "2019-08-24T14:15:22Z", "Status": 0, "Requester": { "Type": 1, "ObjectId": "string", "TenantId": "string" }, "StepsSucceeded": 0, "StepsFailed": 0, "StepsProcessed": 0, "TotalSteps": 0 }`
	seedJobStep    = `{ "Id": "string", "Name": "string", "Description": "string", "StartTime": "2019-08-24T14:15:22Z", "EndTime": "2019-08-24T14:15:22Z", "Status": 0, "Errors": [ { "OperationId": "string", "Error": "string", "Reason": "string", "Resolution": "string" } ], "ResourceId": "string" }`
	seedJobInput   = `{ "AccessControlList": { "RoleTrusteeAccessControlEntries": [ { "Trustee": { "Type": 1, "ObjectId": "string", "TenantId": "string" }, "AccessType": 0, "AccessRights": 0 } ] }, "Operation": 0, "Scope": 0, "ResourceIds": [ "string" ], "RoleIds": [ "string" ], "ResourceType": 0, "Description": "string" }`
	seedErrorResp  = `{ "OperationId": "string", "Error": "string", "Reason": "string", "Resolution": "string" }`
)

// tenantGrants gives streams grants in tenant1/ns1 directly through the engine.
func tenantGrants(t *testing.T, ts *testServer, grants ...model.GrantInput) {
	t.Helper()
	for _, g := range grants {
		_, err := ts.eng.CreateGrant(context.Background(), orgTenant, g)
		require.NoError(t, err)
	}
}

func streamGrant(stream string, who model.Subject, l model.Level) model.GrantInput {
	return model.GrantInput{Entity: model.EntityRef{Type: "stream", ID: stream}, Grantee: who, Level: l}
}

// runJob submits body, waits for the job to end and returns its summary.
func runJob(t *testing.T, ts *testServer, body any) map[string]any {
	t.Helper()
	r := ts.do(http.MethodPost, jobsPath, keyTenant, body)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	created := r.Object(t)
	assertShape(t, decodeSeed(t, seedJobSummary), created, "", "StartTime", "EndTime", "Description")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := ts.eng.WaitJob(ctx, orgTenant, created["Id"].(string))
	require.NoError(t, err)
	got := ts.do(http.MethodGet, jobsPath+"/"+created["Id"].(string), keyTenant, nil)
	require.Equal(t, http.StatusOK, got.Status, "body: %s", got.Raw)
	return got.Object(t)
}

func streamUsers(t *testing.T, ts *testServer, stream string) map[string]string {
	t.Helper()
	us, err := ts.eng.UsersWithAccess(context.Background(), orgTenant, model.EntityRef{Type: "stream", ID: stream}, model.LevelRead)
	require.NoError(t, err)
	out := map[string]string{}
	for _, u := range us {
		out[u.User] = u.Level.String()
	}
	return out
}

func TestAvevaUpdateAllJob(t *testing.T) {
	ts := newTestServer(t)
	require.NoError(t, ts.eng.AddMembers(context.Background(), orgTenant, model.Membership{Member: model.User("ops1"), Group: model.Role("operators")}))
	tenantGrants(t, ts, streamGrant("s1", model.User("old"), model.LevelAdmin))

	sum := runJob(t, ts, map[string]any{
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 3, "ObjectId": "operators", "TenantId": "tenant1"}, "AccessType": 0, "AccessRights": 3},
			map[string]any{"Trustee": map[string]any{"Type": 2, "ObjectId": "svc"}, "AccessType": 0, "AccessRights": 15},
			map[string]any{"Trustee": map[string]any{"Type": 1, "ObjectId": "nobody"}, "AccessType": 0, "AccessRights": 0},
		}},
		"Operation": 1, "Scope": 1, "ResourceIds": []string{"s1", "s2", ""}, "ResourceType": 0, "Description": "lock down",
	})
	assertShape(t, decodeSeed(t, seedJobSummary), sum, "")
	assert.EqualValues(t, 6, sum["Status"], "PartiallySucceeded: the empty resource id fails its step")
	assert.EqualValues(t, 3, sum["TotalSteps"])
	assert.EqualValues(t, 2, sum["StepsSucceeded"])
	assert.EqualValues(t, 1, sum["StepsFailed"])
	assert.EqualValues(t, 3, sum["StepsProcessed"])
	assert.Equal(t, "lock down", sum["Description"])
	assert.Equal(t, sum["Id"], sum["OperationId"])
	assert.Equal(t, map[string]any{"Type": 2.0, "ObjectId": principalOf(keyTenant), "TenantId": "tenant1"}, sum["Requester"])

	want := map[string]string{"ops1": "write", "svc": "admin"}
	assert.Equal(t, want, streamUsers(t, ts, "s1"), "UpdateAll replaced old's grant")
	assert.Equal(t, want, streamUsers(t, ts, "s2"))

	// Steps: all, then filtered and paged.
	id := sum["Id"].(string)
	steps := func(query string) []any {
		r := ts.do(http.MethodGet, jobsPath+"/"+id+"/jobsteps"+query, keyTenant, nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		return r.JSON(t).([]any)
	}
	all := steps("")
	require.Len(t, all, 3)
	for _, s := range all {
		assertShape(t, decodeSeed(t, seedJobStep), s, "", "Description")
	}
	failed := steps("?filterBy=1")
	require.Len(t, failed, 1)
	f := failed[0].(map[string]any)
	assert.EqualValues(t, 5, f["Status"])
	assert.Equal(t, "", f["ResourceId"])
	errs := f["Errors"].([]any)
	require.Len(t, errs, 1)
	assert.Equal(t, "ResourceId is required", errs[0].(map[string]any)["Error"])
	assert.Equal(t, id, errs[0].(map[string]any)["OperationId"])
	assert.Len(t, steps("?filterBy=Success"), 2)
	assert.Len(t, steps("?filterBy=0&skip=1"), 1)
	assert.Len(t, steps("?filterBy=2&skip=1&count=1"), 1)
	assert.Len(t, steps("?filterBy=all&skip=5"), 0)
	assert.Equal(t, id+":s2", steps("?skip=1&count=1")[0].(map[string]any)["Id"])

	list := ts.do(http.MethodGet, jobsPath, keyTenant, nil)
	require.Equal(t, http.StatusOK, list.Status)
	jobs := list.JSON(t).([]any)
	require.Len(t, jobs, 1)
	assertShape(t, decodeSeed(t, seedJobSummary), jobs[0], "")
}

func TestAvevaUpdateRoleAccessJobOverTheNamespace(t *testing.T) {
	ts := newTestServer(t)
	tenantGrants(t, ts,
		streamGrant("s1", model.Role("viewers"), model.LevelRead),
		streamGrant("s1", model.Role("editors"), model.LevelWrite),
		streamGrant("s1", model.User("u1"), model.LevelAdmin),
		streamGrant("s2", model.Role("viewers"), model.LevelRead),
	)
	require.NoError(t, ts.eng.AddMembers(context.Background(), orgTenant,
		model.Membership{Member: model.User("v"), Group: model.Role("viewers")},
		model.Membership{Member: model.User("e"), Group: model.Role("editors")}))

	sum := runJob(t, ts, map[string]any{
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 3, "ObjectId": "viewers"}, "AccessType": 0, "AccessRights": 7},
		}},
		"Operation": 0, "Scope": 0, "RoleIds": []string{"viewers", "editors"},
	})
	assert.EqualValues(t, 3, sum["Status"], "Succeeded")
	assert.EqualValues(t, 2, sum["TotalSteps"], "the namespace: every stream with a grant")
	assert.Nil(t, sum["Description"], "no description: null")
	// viewers: Read|Write|Delete covers write; editors: no entry, removed;
	// u1 is not a named role, kept.
	assert.Equal(t, map[string]string{"v": "write", "u1": "admin"}, streamUsers(t, ts, "s1"))
	assert.Equal(t, map[string]string{"v": "write"}, streamUsers(t, ts, "s2"))
}

func TestAvevaCreateJobErrors(t *testing.T) {
	ts := newTestServer(t)
	entry := func(typ, rights, access int) map[string]any {
		return map[string]any{"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": typ, "ObjectId": "r1"}, "AccessType": access, "AccessRights": rights},
		}}, "Operation": 1, "Scope": 1, "ResourceIds": []string{"s1"}}
	}
	const ace = "AccessControlList.RoleTrusteeAccessControlEntries[0]"
	noEntries := map[string]any{"RoleTrusteeAccessControlEntries": []any{}}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"the seed's example: ResourceIds with Namespace scope", seedJobInput, "ResourceIds"},
		{"Denied entry with unknown rights bits", entry(3, 16, 1), ace + ".AccessRights"},
		{"unknown AccessType", entry(3, 1, 2), ace + ".AccessType"},
		{"unknown trustee type", entry(4, 1, 0), ace + ".Trustee.Type"},
		{"rights without Read", entry(3, 2, 0), ace + ".AccessRights"},
		{"unknown rights bits", entry(3, 16, 0), ace + ".AccessRights"},
		{"an empty body names the list first, not RoleIds", `{}`, "AccessControlList"},
		{"no list", map[string]any{"Operation": 1, "Scope": 0}, "AccessControlList"},
		{"UpdateRoleAccess without RoleIds", map[string]any{"AccessControlList": noEntries, "Operation": 0, "Scope": 0}, "RoleIds"},
		{"UpdateRoleAccess entry of an unnamed trustee", map[string]any{"Operation": 0, "Scope": 0, "RoleIds": []string{"x"},
			"AccessControlList": entry(1, 1, 0)["AccessControlList"]}, ace + ".Trustee"},
		{"UpdateAll with RoleIds", map[string]any{"AccessControlList": noEntries, "Operation": 1, "Scope": 0, "RoleIds": []string{"x"}}, "RoleIds"},
		{"unknown Operation", map[string]any{"AccessControlList": noEntries, "Operation": 2, "Scope": 0}, "Operation"},
		{"unknown Scope", map[string]any{"AccessControlList": noEntries, "Operation": 1, "Scope": 2}, "Scope"},
		{"Resource scope without ResourceIds", map[string]any{"AccessControlList": noEntries, "Operation": 1, "Scope": 1}, "ResourceIds"},
		{"unknown ResourceType", map[string]any{"AccessControlList": noEntries, "Operation": 1, "Scope": 0, "ResourceType": 1}, "ResourceType"},
		{"Operation as a word", `{"AccessControlList": {}, "Operation": "UpdateAll"}`, "Operation"},
		{"unknown field", `{"AccessControlList": {}, "Operation": 1, "Scope": 0, "Target": 1}`, "Target"},
		{"another tenant's trustee", map[string]any{"Operation": 1, "Scope": 0, "AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 1, "ObjectId": "u", "TenantId": "tenant2"}, "AccessRights": 1}}}}, ace + ".Trustee.TenantId"},
		{"duplicate trustee", map[string]any{"Operation": 1, "Scope": 0, "AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 1, "ObjectId": "u"}, "AccessRights": 1},
			map[string]any{"Trustee": map[string]any{"Type": 2, "ObjectId": "u"}, "AccessRights": 3}}}}, "Trustee"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.do(http.MethodPost, jobsPath, keyTenant, c.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "body: %s", r.Raw)
			body := r.Object(t)
			assertShape(t, decodeSeed(t, seedErrorResp), body, "")
			assert.Equal(t, "abc-123-def", body["OperationId"])
			assert.Equal(t, c.field, body["DynamicProperties"].(map[string]any)["Field"], "reason: %v", body["Reason"])
		})
	}
	assert.Empty(t, ts.do(http.MethodGet, jobsPath, keyTenant, nil).JSON(t), "no refused request made a job")
}

func TestAvevaReadErrors(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name, path, key string
		status          int
	}{
		{"unknown job", jobsPath + "/job_nope", keyTenant, 404},
		{"steps of an unknown job", jobsPath + "/job_nope/jobsteps", keyTenant, 404},
		{"bad filterBy", jobsPath + "/job_nope/jobsteps?filterBy=some", keyTenant, 400},
		{"bad skip", jobsPath + "/job_nope/jobsteps?skip=-1", keyTenant, 400},
		{"bad count", jobsPath + "/job_nope/jobsteps?count=x", keyTenant, 400},
		{"another namespace", "/api/v1-preview/tenants/tenant1/namespaces/ns2/bulk/accesscontrol/jobs", keyTenant, 403},
		{"another organisation's key", jobsPath, keyXYZ, 403},
		{"no key", jobsPath, "", 401},
		{"a slash in an id", "/api/v1-preview/tenants/tenant1%2Fns1/namespaces/x/bulk/accesscontrol/jobs", keyTenant, 400},
		{"unknown route", "/api/v1-preview/tenants/tenant1/namespaces/ns1/bulk/other", keyTenant, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.do(http.MethodGet, c.path, c.key, nil)
			require.Equal(t, c.status, r.Status, "body: %s", r.Raw)
			assertShape(t, decodeSeed(t, seedErrorResp), r.Object(t), "")
		})
	}
}

func TestAvevaStepsOfARunningJobAreEmpty(t *testing.T) {
	ts := newTestServer(t)
	// A job is NotStarted or InProgress until its runner ends it; whichever
	// this request sees, the page says no steps are listed before the end.
	tenantGrants(t, ts, streamGrant("s1", model.User("u"), model.LevelRead))
	noEntries := map[string]any{"RoleTrusteeAccessControlEntries": []any{}}
	r := ts.do(http.MethodPost, jobsPath, keyTenant, map[string]any{"AccessControlList": noEntries, "Operation": 1, "Scope": 0})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	id := r.Object(t)["Id"].(string)
	steps := ts.do(http.MethodGet, jobsPath+"/"+id+"/jobsteps", keyTenant, nil)
	require.Equal(t, http.StatusOK, steps.Status)
	sum, err := ts.eng.Job(context.Background(), orgTenant, id)
	require.NoError(t, err)
	if !sum.Status.Ended() {
		assert.Equal(t, []any{}, steps.JSON(t))
	}
}

func TestLevelOfRights(t *testing.T) {
	cases := []struct {
		mask int64
		want model.Level
		ok   bool
	}{
		{0, model.LevelNone, true},
		{rightRead, model.LevelRead, true},
		{rightRead | rightDelete, model.LevelRead, true},
		{rightRead | rightWrite, model.LevelWrite, true},
		{rightRead | rightWrite | rightDelete, model.LevelWrite, true},
		{rightRead | rightWrite | rightManageAccessControl, model.LevelWrite, true},
		{rightsKnown, model.LevelAdmin, true},
		{rightWrite, 0, false},
		{rightManageAccessControl, 0, false},
		{32, 0, false},
		{-1, 0, false},
	}
	for _, c := range cases {
		got, err := levelOfRights(c.mask)
		if c.ok {
			assert.NoError(t, err, "mask %d", c.mask)
			assert.Equal(t, c.want, got, "mask %d", c.mask)
		} else {
			assert.Error(t, err, "mask %d", c.mask)
		}
	}
}
