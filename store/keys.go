package store

import (
	"strings"

	"github.com/grantdb/grantdb/model"
)

// Keys are the fields of a row joined by sep. Validated ids never contain a
// control character, so sep cannot occur inside a field, and byte order of
// keys is the order of their fields (a shorter field sorts first).
const sep = "\x00"

// grantKey is the unique key of a grant: org, entity type, entity id,
// grantee type, grantee id. Its prefixes select an organisation, an entity
// type and an entity.
func grantKey(org string, e model.EntityRef, s model.Subject) string {
	return org + sep + e.Type + sep + e.ID + sep + string(s.Type) + sep + s.ID
}

// granteeKey orders grants by grantee, then entity.
func granteeKey(org string, s model.Subject, e model.EntityRef) string {
	return org + sep + string(s.Type) + sep + s.ID + sep + e.Type + sep + e.ID
}

// membershipKey is the unique key of a membership, ordered by member; its
// prefix org+member selects a member's direct groups.
func membershipKey(org string, m model.Membership) string {
	return org + sep + string(m.Member.Type) + sep + m.Member.ID + sep + string(m.Group.Type) + sep + m.Group.ID
}

// groupKey orders memberships by group; its prefix org+group selects a
// group's direct members.
func groupKey(org string, m model.Membership) string {
	return org + sep + string(m.Group.Type) + sep + m.Group.ID + sep + string(m.Member.Type) + sep + m.Member.ID
}

// prefix joins parts and ends with sep, so that it matches whole fields only.
func prefix(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
		b.WriteString(sep)
	}
	return b.String()
}

// splitKeyFields cuts key into len(f) non-empty fields sharing its memory,
// allocating nothing.
func splitKeyFields(key string, f []string) bool {
	rest := key
	for i := range len(f) - 1 {
		j := strings.IndexByte(rest, sep[0])
		if j <= 0 {
			return false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	f[len(f)-1] = rest
	return rest != "" && strings.IndexByte(rest, sep[0]) < 0
}
