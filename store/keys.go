package store

import (
	"strings"
	"unsafe"

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

// denySuffix ends the key of a deny. The allow of a pair is a prefix of
// its deny, and a control character never occurs in an id, so keys sort by
// (entity, grantee, effect), the allow first.
const denySuffix = sep + "\x01"

// grantKeyEffect is the unique key of a grant with its effect: grantKey for
// an allow, grantKey and denySuffix for a deny.
func grantKeyEffect(org string, e model.EntityRef, s model.Subject, eff model.Effect) string {
	if eff == model.EffectDeny {
		return grantKey(org, e, s) + denySuffix
	}
	return grantKey(org, e, s)
}

// cutEffect splits a grant key, or a granteeKey, into the key without its
// effect and the effect.
func cutEffect(key string) (string, model.Effect) {
	if base, ok := strings.CutSuffix(key, denySuffix); ok {
		return base, model.EffectDeny
	}
	return key, model.EffectAllow
}

// granteeKey orders grants by grantee, then entity.
func granteeKey(org string, s model.Subject, e model.EntityRef) string {
	return org + sep + string(s.Type) + sep + s.ID + sep + e.Type + sep + e.ID
}

// granteeKeyEffect orders grants by grantee, then entity, then effect.
func granteeKeyEffect(org string, s model.Subject, e model.EntityRef, eff model.Effect) string {
	if eff == model.EffectDeny {
		return granteeKey(org, s, e) + denySuffix
	}
	return granteeKey(org, s, e)
}

// membershipKey is the unique key of a membership, ordered by member; its
// prefix org+member selects a member's direct groups.
func membershipKey(org string, m model.Membership) string {
	return org + sep + string(m.Member.Type) + sep + m.Member.ID + sep + string(m.Group.Type) + sep + m.Group.ID
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

// joinKeys returns n keys, org and the four parts of item i joined by sep,
// as substrings of one string: one allocation for every key of a call
// instead of one a key.
func joinKeys(org string, n int, parts func(i int) [4]string) []string {
	size := 0
	for i := range n {
		size += len(org) + 4*len(sep)
		for _, p := range parts(i) {
			size += len(p)
		}
	}
	// Appended to a buffer made big enough at once, then viewed as the
	// string it will never stop being: no copy, and no builder call per
	// part.
	buf := make([]byte, 0, size)
	keys := make([]string, n)
	for i := range n {
		start := len(buf)
		buf = append(buf, org...)
		for _, p := range parts(i) {
			buf = append(buf, sep...)
			buf = append(buf, p...)
		}
		keys[i] = unsafe.String(unsafe.SliceData(buf[start:]), len(buf)-start)
	}
	return keys
}
