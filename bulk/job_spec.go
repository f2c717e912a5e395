package bulk

import (
	"errors"

	"github.com/grantdb/grantdb/model"
)

// Field names of job errors, in the seeds' snake_case (and FieldMode).
const (
	jobFieldOperation   = "operation"
	jobFieldResources   = "resources"
	jobFieldRequestedBy = "requested_by"
	jobFieldJobID       = "job_id"
	jobFieldFilter      = "filter"
	jobFieldSkip        = "skip"
	jobFieldCount       = "count"
)

// ValidateJobSpec checks spec as SubmitJob does, against v: a known
// operation; for the replace and revoke operations exactly one of Resources
// and EntityType (a well-formed type); for OpCreate no scope and a Mode of
// SkipDuplicates or Upsert; well-formed Grantees; valid ACL entries, at most
// one per (grantee, effect), and for OpReplaceGrantees only of grantees named in
// Grantees; a well-formed RequestedBy when set. Every refusal is
// ErrValidation naming the field. Resources and Grants are not checked here:
// a bad one fails its step when the job runs, not the job.
func ValidateJobSpec(v *model.Validator, spec JobSpec) error {
	if !spec.Operation.Valid() {
		return model.NewError(model.CodeValidation, jobFieldOperation,
			"operation must be one of {'create', 'replace_all', 'replace_grantees', 'revoke'}")
	}
	if spec.RequestedBy != "" {
		if err := model.ID(jobFieldRequestedBy, spec.RequestedBy); err != nil {
			return err
		}
	}
	if spec.Operation == OpCreate {
		return validateCreateJobSpec(spec)
	}
	if err := validateJobScope(v, spec); err != nil {
		return err
	}
	named := make(map[model.Subject]bool, len(spec.Grantees))
	for i, s := range spec.Grantees {
		if err := v.Grantee(s); err != nil {
			return jobIndexedError("grantees", i, err)
		}
		named[s] = true
	}
	if spec.Operation == OpRevoke {
		return nil
	}
	seen := make(map[aceKey]bool, len(spec.ACL))
	for i, ace := range spec.ACL {
		if err := v.Grantee(ace.Grantee); err != nil {
			return jobIndexedError("acl", i, err)
		}
		if err := model.GrantLevel(ace.Level); err != nil {
			return jobIndexedError("acl", i, err)
		}
		if err := model.GrantEffect(ace.Effect); err != nil {
			return jobIndexedError("acl", i, err)
		}
		k := aceKey{ace.Grantee, ace.Effect}
		if seen[k] {
			return jobIndexedError("acl", i, model.NewError(model.CodeValidation, model.FieldGranteeID,
				"%s has more than one %s entry", ace.Grantee, ace.Effect))
		}
		seen[k] = true
		if spec.Operation == OpReplaceGrantees && !named[ace.Grantee] {
			return jobIndexedError("acl", i, model.NewError(model.CodeValidation, model.FieldGranteeID,
				"%s is not one of the grantees being replaced", ace.Grantee))
		}
	}
	return nil
}

func validateCreateJobSpec(spec JobSpec) error {
	if len(spec.Resources) > 0 {
		return model.NewError(model.CodeValidation, jobFieldResources,
			"resources must be empty for create: its entities come from its grants")
	}
	if spec.EntityType != "" {
		return model.NewError(model.CodeValidation, model.FieldEntityType,
			"entity_type must be empty for create: its entities come from its grants")
	}
	if spec.Mode != SkipDuplicates && spec.Mode != Upsert {
		return model.NewError(model.CodeValidation, FieldMode,
			"mode of a create job must be skip_duplicates or upsert")
	}
	return nil
}

// validateJobScope checks the scope of the replace and revoke operations.
func validateJobScope(v *model.Validator, spec JobSpec) error {
	hasResources, hasType := len(spec.Resources) > 0, spec.EntityType != ""
	if hasResources == hasType {
		return model.NewError(model.CodeValidation, jobFieldResources,
			"exactly one of resources and entity_type is required for %s", spec.Operation)
	}
	if hasType {
		return v.EntityType(spec.EntityType)
	}
	return nil
}

// jobIndexedError says which element of a list err is about: its message gains
// a "list[i]: " prefix, its code and field stay.
func jobIndexedError(list string, i int, err error) error {
	var me *model.Error
	if !errors.As(err, &me) {
		return err
	}
	return model.NewError(me.Code, me.Field, "%s[%d]: %s", list, i, me.Message)
}
