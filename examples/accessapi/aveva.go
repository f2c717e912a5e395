package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// The AVEVA CONNECT bulk access jobs, under
// /api/v1-preview/tenants/{tenantId}/namespaces/{namespaceId}/bulk/accesscontrol/jobs.
// The organisation is "tenantId/namespaceId" (neither may contain "/", so
// the join is unambiguous); resources are entities of type stream; request
// errors are 400 with AVEVA's ErrorResponse, as the page lists.

// avevaStreamType is the entity type of AVEVA's Stream resources
// (ResourceType 0, the only one the page defines).
const avevaStreamType = "stream"

// The AVEVA enums, numbered as the page numbers them.
const (
	avevaUpdateRoleAccess = 0 // Operation
	avevaUpdateAll        = 1
	avevaScopeNamespace   = 0 // Scope
	avevaScopeResource    = 1
	avevaAllowed          = 0 // AccessType
	avevaDenied           = 1
	avevaTrusteeUser      = 1 // TrusteeType
	avevaTrusteeClient    = 2
	avevaTrusteeRole      = 3
	avevaResourceStream   = 0 // ResourceType
)

// AccessRights bits (AVEVA's common access rights) and the masks that cover
// each level: a level is granted only when every right it implies is asked
// for, and rights beyond the highest covered level are dropped, so a job
// never grants more than its entry asks.
const (
	rightRead                = 1
	rightWrite               = 2
	rightDelete              = 4
	rightManageAccessControl = 8
	rightsKnown              = rightRead | rightWrite | rightDelete | rightManageAccessControl
)

// levelOfRights maps an AccessRights mask to the highest level it covers:
// read needs Read; write needs Read|Write; admin needs all four bits.
func levelOfRights(mask int64) (model.Level, error) {
	switch {
	case mask < 0 || mask&^rightsKnown != 0:
		return 0, fmt.Errorf("AccessRights %d has unknown bits: the known rights are Read 1, Write 2, Delete 4, ManageAccessControl 8", mask)
	case mask == rightsKnown:
		return model.LevelAdmin, nil
	case mask&(rightRead|rightWrite) == rightRead|rightWrite:
		return model.LevelWrite, nil
	case mask&rightRead != 0:
		return model.LevelRead, nil
	case mask == 0:
		return model.LevelNone, nil
	}
	return 0, fmt.Errorf("AccessRights %d covers no level: every level needs Read (1)", mask)
}

// deniedLevelOfRights maps the AccessRights mask of a Denied entry to the
// level its deny is at: the lowest level whose own right the mask names
// (read for Read; write for Write; admin for Delete or
// ManageAccessControl). A deny at a level takes that level and every one
// above it, so a denied right is never left to anyone; rights below it are
// kept (denying Write leaves read).
func deniedLevelOfRights(mask int64) (model.Level, error) {
	switch {
	case mask < 0 || mask&^rightsKnown != 0:
		return 0, fmt.Errorf("AccessRights %d has unknown bits: the known rights are Read 1, Write 2, Delete 4, ManageAccessControl 8", mask)
	case mask&rightRead != 0:
		return model.LevelRead, nil
	case mask&rightWrite != 0:
		return model.LevelWrite, nil
	case mask != 0:
		return model.LevelAdmin, nil
	}
	return model.LevelNone, nil
}

var avevaStatus = map[bulk.JobStatus]int{
	bulk.JobNotStarted: 1, bulk.JobInProgress: 2, bulk.JobSucceeded: 3,
	bulk.JobCancelled: 4, bulk.JobFailed: 5, bulk.JobPartiallySucceeded: 6,
}

type avevaTrustee struct {
	Type     int    `json:"Type"`
	ObjectID string `json:"ObjectId"`
	TenantID string `json:"TenantId"`
}

type avevaACE struct {
	Trustee      *avevaTrustee `json:"Trustee"`
	AccessType   int           `json:"AccessType"`
	AccessRights int64         `json:"AccessRights"`
}

type avevaACL struct {
	Entries []avevaACE `json:"RoleTrusteeAccessControlEntries"`
}

// avevaJobInput is BulkAccessUpdateInput.
type avevaJobInput struct {
	AccessControlList *avevaACL `json:"AccessControlList"`
	Operation         int       `json:"Operation"`
	Scope             int       `json:"Scope"`
	ResourceIDs       []string  `json:"ResourceIds"`
	RoleIDs           []string  `json:"RoleIds"`
	ResourceType      int       `json:"ResourceType"`
	Description       string    `json:"Description"`
}

// avevaSummary is BulkAccessJobSummary. OperationId is the job's id: the
// engine keeps no other operation identifier.
type avevaSummary struct {
	ID             string        `json:"Id"`
	Name           *string       `json:"Name"`
	Description    *string       `json:"Description"`
	OperationID    string        `json:"OperationId"`
	StartTime      *time.Time    `json:"StartTime"`
	EndTime        *time.Time    `json:"EndTime"`
	Status         int           `json:"Status"`
	Requester      *avevaTrustee `json:"Requester"`
	StepsSucceeded int           `json:"StepsSucceeded"`
	StepsFailed    int           `json:"StepsFailed"`
	StepsProcessed int           `json:"StepsProcessed"`
	TotalSteps     int           `json:"TotalSteps"`
}

// avevaStepError is ErrorResponse2.
type avevaStepError struct {
	OperationID string `json:"OperationId"`
	Error       string `json:"Error"`
	Reason      string `json:"Reason"`
	Resolution  string `json:"Resolution"`
}

// avevaStep is BulkAccessJobStep. Its Id is "<job id>:<resource id>" (a job
// has one step per distinct resource).
type avevaStep struct {
	ID          string           `json:"Id"`
	Name        string           `json:"Name"`
	Description *string          `json:"Description"`
	StartTime   *time.Time       `json:"StartTime"`
	EndTime     *time.Time       `json:"EndTime"`
	Status      int              `json:"Status"`
	Errors      []avevaStepError `json:"Errors"`
	ResourceID  string           `json:"ResourceId"`
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// avevaOrg is the organisation of a request: "tenantId/namespaceId".
func (s *server) avevaOrg(r *http.Request, c *call) (tenant, org string, err error) {
	tenant, ns := r.PathValue("tenantId"), r.PathValue("namespaceId")
	if strings.Contains(tenant, "/") || strings.Contains(ns, "/") {
		return "", "", badRequest("tenantId", "tenantId and namespaceId must not contain '/'")
	}
	org = tenant + "/" + ns
	return tenant, org, c.allow(org, "tenantId/namespaceId")
}

func (s *server) avevaSummaryOf(tenant string, j bulk.JobSummary) avevaSummary {
	return avevaSummary{
		ID: j.ID, Name: optionalString(j.Name), Description: optionalString(j.Description), OperationID: j.ID,
		StartTime: optionalTime(j.StartTime), EndTime: optionalTime(j.EndTime), Status: avevaStatus[j.Status],
		Requester:      &avevaTrustee{Type: avevaTrusteeClient, ObjectID: j.RequestedBy, TenantID: tenant},
		StepsSucceeded: j.StepsSucceeded, StepsFailed: j.StepsFailed, StepsProcessed: j.StepsProcessed, TotalSteps: j.TotalSteps,
	}
}

// avevaListJobs: GET .../jobs -> every job of the namespace, newest first.
func (s *server) avevaListJobs(w http.ResponseWriter, r *http.Request, c *call) error {
	tenant, org, err := s.avevaOrg(r, c)
	if err != nil {
		return err
	}
	jobs, err := s.eng.Jobs(r.Context(), org)
	if err != nil {
		return err
	}
	out := make([]avevaSummary, len(jobs))
	for i, j := range jobs {
		out[i] = s.avevaSummaryOf(tenant, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// avevaCreateJob: POST .../jobs -> 200 and the new job's summary. Every
// refusal is a 400, as the page lists for this call.
func (s *server) avevaCreateJob(w http.ResponseWriter, r *http.Request, c *call) error {
	tenant, org, err := s.avevaOrg(r, c)
	if err != nil {
		return err
	}
	var in avevaJobInput
	if err := decodeJSON(w, r, s.limits.maxBody, &in); err != nil {
		return err
	}
	spec, err := avevaSpec(in, tenant, c.principal)
	if err != nil {
		return err
	}
	s.jobSubmit.Lock()
	defer s.jobSubmit.Unlock()
	if err := s.checkJobLimits(r.Context(), org, spec); err != nil {
		return avevaRefusal(err, avevaField)
	}
	sum, err := s.eng.SubmitJob(r.Context(), org, spec)
	if err != nil {
		return avevaRefusal(err, avevaField)
	}
	writeJSON(w, http.StatusOK, s.avevaSummaryOf(tenant, sum))
	return nil
}

// avevaSpec maps BulkAccessUpdateInput to a job: UpdateAll is
// OpReplaceAll, UpdateRoleAccess is OpReplaceGrantees over the roles of
// RoleIds; Namespace scope is every stream with a grant, Resource scope the
// streams of ResourceIds. An entry whose rights cover no level (0) is left
// out, so its trustee ends with no grant (of that entry's AccessType).
// Denied entries become denies (deniedLevelOfRights).
func avevaSpec(in avevaJobInput, tenant, requester string) (bulk.JobSpec, error) {
	spec := bulk.JobSpec{Description: in.Description, RequestedBy: requester}
	// The list comes first: it is what a job applies, and an empty body
	// would otherwise be refused for RoleIds, a field it never sent
	// (Operation 0, UpdateRoleAccess, being the default). A job that is
	// to leave no entries sends an empty list, never none by accident.
	if in.AccessControlList == nil {
		return spec, badRequest("AccessControlList", "AccessControlList is required: send {\"RoleTrusteeAccessControlEntries\": []} to leave no entries")
	}
	if in.ResourceType != avevaResourceStream {
		return spec, badRequest("ResourceType", "ResourceType must be 0 (Stream)")
	}
	var opName string
	switch in.Operation {
	case avevaUpdateAll:
		spec.Operation, opName = bulk.OpReplaceAll, "UpdateAll"
		if len(in.RoleIDs) > 0 {
			return spec, badRequest("RoleIds", "RoleIds must be empty when Operation is UpdateAll (1)")
		}
	case avevaUpdateRoleAccess:
		spec.Operation, opName = bulk.OpReplaceGrantees, "UpdateRoleAccess"
		if len(in.RoleIDs) == 0 {
			return spec, badRequest("RoleIds", "RoleIds is required when Operation is UpdateRoleAccess (0)")
		}
		for _, id := range in.RoleIDs {
			spec.Grantees = append(spec.Grantees, model.Role(id))
		}
	default:
		return spec, badRequest("Operation", "Operation must be 0 (UpdateRoleAccess) or 1 (UpdateAll)")
	}
	switch in.Scope {
	case avevaScopeNamespace:
		if len(in.ResourceIDs) > 0 {
			return spec, badRequest("ResourceIds", "ResourceIds must be empty when Scope is Namespace (0)")
		}
		spec.EntityType = avevaStreamType
		spec.Name = opName + " on every stream of the namespace"
	case avevaScopeResource:
		if len(in.ResourceIDs) == 0 {
			return spec, badRequest("ResourceIds", "ResourceIds is required when Scope is Resource (1)")
		}
		for _, id := range in.ResourceIDs {
			spec.Resources = append(spec.Resources, model.EntityRef{Type: avevaStreamType, ID: id})
		}
		spec.Name = fmt.Sprintf("%s on %d stream(s)", opName, len(in.ResourceIDs))
	default:
		return spec, badRequest("Scope", "Scope must be 0 (Namespace) or 1 (Resource)")
	}
	var entries []avevaACE
	if in.AccessControlList != nil {
		entries = in.AccessControlList.Entries
	}
	named := make(map[string]bool, len(in.RoleIDs))
	for _, id := range in.RoleIDs {
		named[id] = true
	}
	for i, e := range entries {
		field := "AccessControlList.RoleTrusteeAccessControlEntries[" + strconv.Itoa(i) + "]"
		ace, err := avevaEntry(e, tenant, field)
		if err != nil {
			return spec, err
		}
		if spec.Operation == bulk.OpReplaceGrantees && (ace.Grantee.Type != model.SubjectRole || !named[ace.Grantee.ID]) {
			return spec, badRequest(field+".Trustee", "UpdateRoleAccess replaces only the entries of the roles in RoleIds; this trustee is not one of them")
		}
		if ace.Level != model.LevelNone {
			spec.ACL = append(spec.ACL, ace)
		}
	}
	return spec, nil
}

// avevaEntry maps one AccessControlEntry: trustees User and Client are
// users, Role is a role.
func avevaEntry(e avevaACE, tenant, field string) (bulk.ACE, error) {
	var ace bulk.ACE
	if e.Trustee == nil {
		return ace, badRequest(field+".Trustee", "Trustee is required")
	}
	switch e.Trustee.Type {
	case avevaTrusteeUser, avevaTrusteeClient:
		ace.Grantee = model.User(e.Trustee.ObjectID)
	case avevaTrusteeRole:
		ace.Grantee = model.Role(e.Trustee.ObjectID)
	default:
		return ace, badRequest(field+".Trustee.Type", "Trustee.Type must be 1 (User), 2 (Client) or 3 (Role)")
	}
	if e.Trustee.ObjectID == "" {
		return ace, badRequest(field+".Trustee.ObjectId", "Trustee.ObjectId is required")
	}
	if e.Trustee.TenantID != "" && e.Trustee.TenantID != tenant {
		return ace, badRequest(field+".Trustee.TenantId", "Trustee.TenantId must be this tenant (%s) or empty", tenant)
	}
	rightsLevel := levelOfRights
	switch e.AccessType {
	case avevaAllowed:
	case avevaDenied:
		ace.Effect, rightsLevel = model.EffectDeny, deniedLevelOfRights
	default:
		return ace, badRequest(field+".AccessType", "AccessType must be 0 (Allowed) or 1 (Denied)")
	}
	level, err := rightsLevel(e.AccessRights)
	if err != nil {
		return ace, badRequest(field+".AccessRights", "%s", err)
	}
	ace.Level = level
	return ace, nil
}

// avevaGetJob: GET .../jobs/{jobId} -> the job's summary.
func (s *server) avevaGetJob(w http.ResponseWriter, r *http.Request, c *call) error {
	tenant, org, err := s.avevaOrg(r, c)
	if err != nil {
		return err
	}
	j, err := s.eng.Job(r.Context(), org, r.PathValue("jobId"))
	if err != nil {
		return avevaRefusal(err, jobIDField)
	}
	writeJSON(w, http.StatusOK, s.avevaSummaryOf(tenant, j))
	return nil
}

// avevaRefusal renders an engine error in AVEVA's words: the page lists
// 400, never 422, for a request it cannot accept (a bad spec, or an id with
// a control character in the path).
func avevaRefusal(err error, rename func(string) string) *apiError {
	ae := toAPIError(err, rename)
	if ae.Status == http.StatusUnprocessableEntity {
		ae = &apiError{Status: http.StatusBadRequest, Code: ae.Code, Field: ae.Field, Detail: ae.Detail}
	}
	return ae
}

func jobIDField(f string) string {
	if f == "job_id" || f == model.FieldGrantID {
		return "jobId"
	}
	return f
}

// stepFilters reads filterBy: JobStepFilter's numbers (Success 0, Failure 1,
// All 2) or names, any case; absent is All.
var stepFilters = map[string]bulk.StepFilter{
	"": bulk.FilterAll, "2": bulk.FilterAll, "all": bulk.FilterAll,
	"0": bulk.FilterSuccess, "success": bulk.FilterSuccess,
	"1": bulk.FilterFailure, "failure": bulk.FilterFailure,
}

// avevaJobSteps: GET .../jobs/{jobId}/jobsteps?filterBy&skip&count. A job
// that has not ended lists no steps, as the page says.
func (s *server) avevaJobSteps(w http.ResponseWriter, r *http.Request, c *call) error {
	_, org, err := s.avevaOrg(r, c)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	filter, ok := stepFilters[strings.ToLower(q.Get("filterBy"))]
	if !ok {
		return badRequest("filterBy", "filterBy must be 0 (Success), 1 (Failure) or 2 (All)")
	}
	skip, err := queryInt(r, "skip", 0)
	if err != nil {
		return badRequest("skip", "skip must be a non-negative integer")
	}
	count, err := queryInt(r, "count", 0)
	if err != nil {
		return badRequest("count", "count must be a non-negative integer")
	}
	id := r.PathValue("jobId")
	steps, err := s.eng.JobSteps(r.Context(), org, id, filter, skip, count)
	switch {
	case errors.Is(err, model.ErrConflict):
		steps, err = nil, nil // not ended yet: no steps
	case err != nil:
		return avevaRefusal(err, jobIDField)
	}
	out := make([]avevaStep, len(steps))
	for i, st := range steps {
		out[i] = avevaStep{
			ID: id + ":" + st.Resource.ID, Name: "Update access control of stream " + st.Resource.ID,
			StartTime: optionalTime(st.StartTime), EndTime: optionalTime(st.EndTime),
			Status: avevaStatus[st.Status], Errors: make([]avevaStepError, len(st.Errors)), ResourceID: st.Resource.ID,
		}
		for k, e := range st.Errors {
			reason := e.Code
			if e.Field != "" {
				reason += " on " + avevaField(e.Field)
			}
			out[i].Errors[k] = avevaStepError{OperationID: id, Error: renameMessage(&e, avevaField), Reason: reason,
				Resolution: "Correct the resource or the entry and submit a new job."}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// avevaField renames the engine's fields in step errors to AVEVA's words.
func avevaField(f string) string {
	switch f {
	case model.FieldEntityID:
		return "ResourceId"
	case model.FieldEntityType:
		return "ResourceType"
	case model.FieldGranteeID, model.FieldGranteeType:
		return "Trustee"
	case model.FieldAccessLevel:
		return "AccessRights"
	}
	return f
}
