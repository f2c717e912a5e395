package disk

import (
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Job rows in the compact form: one kind byte, then the row (doc.go has
// the layout). Decoding checks their shape and that every enum holds one of
// its values, not what they mean together (that is package bulk's).
const (
	jobKindSummary = 1
	jobKindSpec    = 2
	jobKindStep    = 3
)

// encodeJobChange writes whichever row c holds.
func encodeJobChange(e *encoder, c store.JobChange) {
	switch {
	case c.Job != nil:
		e.byte(jobKindSummary)
		encodeJob(e, c.Job)
	case c.Spec != nil:
		e.byte(jobKindSpec)
		encodeJobSpec(e, c.Spec)
	case c.Step != nil:
		e.byte(jobKindStep)
		encodeJobStep(e, c.Step)
	default:
		e.byte(0) // an empty change; decoding refuses it
	}
}

func decodeJobChange(d *decoder) store.JobChange {
	switch k := d.byte(); k {
	case jobKindSummary:
		j := decodeJob(d)
		return store.JobChange{Job: &j}
	case jobKindSpec:
		s := decodeJobSpec(d)
		return store.JobChange{Spec: &s}
	case jobKindStep:
		s := decodeJobStep(d)
		return store.JobChange{Step: &s}
	default:
		d.fail("bad job row kind %d", k)
		return store.JobChange{}
	}
}

func encodeJob(e *encoder, j *store.Job) {
	for _, s := range [...]string{j.Org, j.ID, j.Name, j.Description, j.RequestedBy, string(j.Operation), string(j.Status)} {
		e.string(s)
	}
	e.time(j.SubmitTime)
	e.time(j.StartTime)
	e.time(j.EndTime)
	e.int(j.StepsSucceeded)
	e.int(j.StepsFailed)
	e.int(j.StepsProcessed)
	e.int(j.TotalSteps)
}

func decodeJob(d *decoder) store.Job {
	var j store.Job
	for _, p := range [...]*string{&j.Org, &j.ID, &j.Name, &j.Description, &j.RequestedBy} {
		*p = d.string()
	}
	j.Operation = readOperation(d)
	j.Status = readStatus(d)
	j.SubmitTime = d.time()
	j.StartTime = d.time()
	j.EndTime = d.time()
	j.StepsSucceeded = d.int()
	j.StepsFailed = d.int()
	j.StepsProcessed = d.int()
	j.TotalSteps = d.int()
	if d.err == nil && (j.Org == "" || j.ID == "") {
		d.fail("job without organisation or id")
	}
	return j
}

func encodeJobSpec(e *encoder, s *store.JobSpec) {
	e.string(s.Org)
	e.string(s.JobID)
	e.string(string(s.Operation))
	e.int(int(s.Mode))
	e.string(s.RequestedBy)
	e.string(s.EntityType)
	e.uvarint(uint64(len(s.Grants)))
	for i := range s.Grants {
		in := &s.Grants[i]
		e.string(in.Entity.Type)
		e.string(in.Entity.ID)
		writeSubject(e, in.Grantee)
		e.byte(byte(in.Level))
		e.byte(byte(in.Effect))
		e.string(in.GrantedBy)
		e.time(in.EffectiveFrom)
		e.time(in.EffectiveTo)
	}
	e.uvarint(uint64(len(s.ACL)))
	for _, a := range s.ACL {
		writeSubject(e, a.Grantee)
		e.byte(byte(a.Level))
		e.byte(byte(a.Effect))
	}
	e.uvarint(uint64(len(s.Grantees)))
	for _, g := range s.Grantees {
		writeSubject(e, g)
	}
}

func decodeJobSpec(d *decoder) store.JobSpec {
	var s store.JobSpec
	s.Org = d.string()
	s.JobID = d.string()
	s.Operation = readOperation(d)
	s.Mode = model.BulkMode(d.int())
	if d.err == nil && !s.Mode.Valid() {
		d.fail("bad bulk mode %d", s.Mode)
	}
	s.RequestedBy = d.string()
	s.EntityType = d.string()
	if n := d.count(9); n > 0 {
		s.Grants = make([]model.GrantInput, n)
		for i := range s.Grants {
			in := &s.Grants[i]
			in.Entity.Type = d.string()
			in.Entity.ID = d.string()
			in.Grantee = readSubject(d)
			in.Level = model.Level(d.byte())
			if d.v3() {
				in.Effect = readEffect(d)
			}
			in.GrantedBy = d.string()
			in.EffectiveFrom = d.time()
			in.EffectiveTo = d.time()
		}
	}
	if n := d.count(3); n > 0 {
		s.ACL = make([]model.ACE, n)
		for i := range s.ACL {
			s.ACL[i].Grantee = readSubject(d)
			s.ACL[i].Level = model.Level(d.byte())
			if d.v3() {
				s.ACL[i].Effect = readEffect(d)
			}
		}
	}
	if n := d.count(2); n > 0 {
		s.Grantees = make([]model.Subject, n)
		for i := range s.Grantees {
			s.Grantees[i] = readSubject(d)
		}
	}
	if d.err == nil && (s.Org == "" || s.JobID == "") {
		d.fail("job spec without organisation or job id")
	}
	return s
}

func encodeJobStep(e *encoder, s *store.JobStep) {
	e.string(s.Org)
	e.string(s.JobID)
	e.int(s.Index)
	e.string(s.Resource.Type)
	e.string(s.Resource.ID)
	e.string(string(s.Status))
	e.time(s.StartTime)
	e.time(s.EndTime)
	e.uvarint(uint64(len(s.Errors)))
	for _, x := range s.Errors {
		e.string(x.Code)
		e.string(x.Message)
		e.string(x.Field)
	}
}

func decodeJobStep(d *decoder) store.JobStep {
	var s store.JobStep
	s.Org = d.string()
	s.JobID = d.string()
	s.Index = d.int()
	s.Resource.Type = d.string()
	s.Resource.ID = d.string()
	s.Status = readStatus(d)
	s.StartTime = d.time()
	s.EndTime = d.time()
	if n := d.count(3); n > 0 {
		s.Errors = make([]model.Error, n)
		for i := range s.Errors {
			s.Errors[i] = model.Error{Code: d.string(), Message: d.string(), Field: d.string()}
		}
	}
	if d.err == nil && (s.Org == "" || s.JobID == "" || s.Index < 0) {
		d.fail("job step without organisation or job id, or with index %d", s.Index)
	}
	return s
}

// readOperation reads a job operation, which must be one of the four.
func readOperation(d *decoder) model.JobOperation {
	op := model.JobOperation(d.string())
	if d.err == nil && !op.Valid() {
		d.fail("bad job operation %q", op)
	}
	return op
}

// readEffect reads an effect byte: 0 allow, 1 deny (format 3 on).
func readEffect(d *decoder) model.Effect {
	f := model.Effect(d.byte())
	if d.err == nil && !f.Valid() {
		d.fail("bad effect %d", f)
	}
	return f
}

// readStatus reads a job or step status, which must be one of the six.
func readStatus(d *decoder) model.JobStatus {
	s := model.JobStatus(d.string())
	if d.err == nil && !s.Valid() {
		d.fail("bad job status %q", s)
	}
	return s
}
