package model_test

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/model"
)

func TestInternSubjectTypeSharesTheConstants(t *testing.T) {
	for _, c := range []model.SubjectType{model.SubjectUser, model.SubjectDepartment, model.SubjectRole} {
		built := string([]byte(string(c))) // a copy with its own bytes
		got := model.InternSubjectType(built)
		assert.Equal(t, c, got)
		assert.Same(t, unsafe.StringData(string(c)), unsafe.StringData(string(got)), "%s is the constant itself", c)
	}
	assert.Equal(t, model.SubjectType("team"), model.InternSubjectType("team"), "another type is kept as it is")
}
