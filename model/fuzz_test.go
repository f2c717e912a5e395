package model_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grantdb/grantdb/model"
)

// The fuzz tests check the validator against oracles written independently
// of it, straight from docs/design.md §2.2, and that nothing panics. Their seed
// corpora live in testdata/fuzz/<FuzzName>/.

var typeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// oracleID reports whether s is an acceptable id: 1 to 256 bytes of valid
// UTF-8 with no Unicode control character (Cc: U+0000–U+001F, U+007F–U+009F).
func oracleID(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return false
		}
		i += n
	}
	return true
}

var fuzzTypes = []string{"knowledge_slice", "vector_store", "assistant"}

// oracleGrant returns the field of the first rule a grant input breaks, in
// the order the validator checks them, or "" when it breaks none.
func oracleGrant(in model.GrantInput, configured bool, now time.Time) string {
	typeOK := typeRE.MatchString(in.Entity.Type)
	if configured {
		typeOK = false
		for _, t := range fuzzTypes {
			typeOK = typeOK || in.Entity.Type == t
		}
	}
	switch {
	case !typeOK:
		return model.FieldEntityType
	case !oracleID(in.Entity.ID):
		return model.FieldEntityID
	case in.Grantee.Type != "user" && in.Grantee.Type != "department" && in.Grantee.Type != "role":
		return model.FieldGranteeType
	case !oracleID(in.Grantee.ID):
		return model.FieldGranteeID
	case in.Level < 1 || in.Level > 3:
		return model.FieldAccessLevel
	case in.GrantedBy != "" && !oracleID(in.GrantedBy):
		return model.FieldGrantedBy
	case !in.EffectiveTo.IsZero() && !in.EffectiveFrom.IsZero() && !in.EffectiveTo.After(in.EffectiveFrom):
		return model.FieldEffectiveTo
	case !in.EffectiveTo.IsZero() && !in.EffectiveTo.After(now):
		return model.FieldEffectiveTo
	}
	return ""
}

// checkRefusal fails unless err is a *model.Error with the wanted code and
// field whose message is in the seeds' words (it names the field first).
func checkRefusal(t *testing.T, err error, code, field string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *model.Error", err, err)
	}
	if me.Code != code || me.Field != field {
		t.Fatalf("got code %s field %s (%q), want code %s field %s", me.Code, me.Field, me.Message, code, field)
	}
	if code == model.CodeValidation && !strings.HasPrefix(me.Message, field+" ") {
		t.Fatalf("message %q does not start with the field %s", me.Message, field)
	}
}

func FuzzValidateGrantInput(f *testing.F) {
	f.Add("knowledge_slice", "kslice_abc123", "user", "usr_def456", uint8(1), "usr_owner1", int64(0), int64(0), true)
	f.Add("fleet", "f\x00", "department", "eng", uint8(2), "", int64(-1), int64(1), false)
	f.Add("Fleet", strings.Repeat("é", 128), "role", "\u0085", uint8(4), "a\xff", int64(1), int64(1), false)
	f.Add("a"+strings.Repeat("b", 63), strings.Repeat("x", 256), "user", strings.Repeat("x", 257), uint8(3), "", int64(time.Hour), int64(-time.Hour), false)

	validators := map[bool]*model.Validator{false: mustValidator(), true: mustValidator(fuzzTypes...)}
	f.Fuzz(func(t *testing.T, entityType, entityID, granteeType, granteeID string, level uint8, grantedBy string, fromOff, toOff int64, configured bool) {
		in := model.GrantInput{
			Entity:    model.EntityRef{Type: entityType, ID: entityID},
			Grantee:   model.Subject{Type: model.SubjectType(granteeType), ID: granteeID},
			Level:     model.Level(level),
			GrantedBy: grantedBy,
		}
		if fromOff != 0 {
			in.EffectiveFrom = now.Add(time.Duration(fromOff))
		}
		if toOff != 0 {
			in.EffectiveTo = now.Add(time.Duration(toOff))
		}
		err := validators[configured].Grant(in, now)
		want := oracleGrant(in, configured, now)
		if want == "" {
			if err != nil {
				t.Fatalf("valid input %+v refused: %v", in, err)
			}
			return
		}
		checkRefusal(t, err, model.CodeValidation, want)
	})
}

func FuzzValidateMembership(f *testing.F) {
	f.Add("user", "ann", "department", "eng")
	f.Add("department", "eng", "department", "eng")
	f.Add("role", "editor", "department", "eng")
	f.Add("user", "ann", "user", "bob")
	f.Add("robot", "\x00", "role", strings.Repeat("r", 257))

	v := mustValidator()
	f.Fuzz(func(t *testing.T, memberType, memberID, groupType, groupID string) {
		m := model.Membership{
			Member: model.Subject{Type: model.SubjectType(memberType), ID: memberID},
			Group:  model.Subject{Type: model.SubjectType(groupType), ID: groupID},
		}
		err := v.Membership(m)
		group := groupType == "department" || groupType == "role"
		switch {
		case !group:
			checkRefusal(t, err, model.CodeValidation, model.FieldGroupType)
		case !oracleID(groupID):
			checkRefusal(t, err, model.CodeValidation, model.FieldGroupID)
		case memberType != "user" && memberType != groupType:
			checkRefusal(t, err, model.CodeValidation, model.FieldMemberType)
		case !oracleID(memberID):
			checkRefusal(t, err, model.CodeValidation, model.FieldMemberID)
		case memberType == groupType && memberID == groupID:
			checkRefusal(t, err, model.CodeConflict, model.FieldGroupID)
		default:
			if err != nil {
				t.Fatalf("valid membership %+v refused: %v", m, err)
			}
		}
	})
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"none", "read", "write", "admin", "", "READ", "read\x00", "level(4)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := model.ParseLevel(s)
		words := map[string]model.Level{"none": 0, "read": 1, "write": 2, "admin": 3}
		want, known := words[s]
		if !known {
			checkRefusal(t, err, model.CodeValidation, model.FieldAccessLevel)
			if l != model.LevelNone {
				t.Fatalf("refused %q but returned level %d", s, l)
			}
			return
		}
		if err != nil || l != want || l.String() != s {
			t.Fatalf("ParseLevel(%q) = %v, %v", s, l, err)
		}
	})
}

// FuzzGrantJSON decodes arbitrary bytes as a grant. Whatever decodes must
// encode again, and decode to the same grant: a stored grant always reaches
// the wire.
func FuzzGrantJSON(f *testing.F) {
	f.Add([]byte(seedGrantJSON))
	f.Add([]byte(`{"access_level":"admin","effective_from":"2026-01-01T00:00:00+02:00","effective_to":null}`))
	f.Add([]byte(`{"ID":"x","Access_Level":"write"}`))
	f.Add([]byte(`{"access_level":"owner"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var g model.Grant
		if err := json.Unmarshal(b, &g); err != nil {
			return
		}
		if !g.Level.Valid() {
			t.Fatalf("decoded an invalid level %d from %q", g.Level, b)
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", b, err)
		}
		var back model.Grant
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("cannot decode our own %s: %v", out, err)
		}
		if !sameGrant(g, back) {
			t.Fatalf("round trip changed the grant:\n%+v\n%+v", g, back)
		}
	})
}

func sameGrant(a, b model.Grant) bool {
	return a.ID == b.ID && a.Org == b.Org && a.Entity == b.Entity && a.Grantee == b.Grantee &&
		a.Level == b.Level && a.Effect == b.Effect && a.GrantedBy == b.GrantedBy &&
		a.EffectiveFrom.Equal(b.EffectiveFrom) && a.EffectiveTo.Equal(b.EffectiveTo) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}
