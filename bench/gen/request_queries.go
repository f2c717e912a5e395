package gen

import "strings"

// AsRequests returns a copy of qs whose strings lie in one buffer, each
// query's beside each other, as requests decoded from the wire hold them.
// The generator's own strings are shared with the organisation and lie
// scattered over the heap: a benchmark reading them pays cache misses for
// the query itself that a service's Check, handed the request it just
// decoded, never pays.
func AsRequests(qs []Query) []Query {
	var sb strings.Builder
	for _, q := range qs {
		sb.WriteString(q.User)
		sb.WriteString(q.Entity.Type)
		sb.WriteString(q.Entity.ID)
	}
	buf, at := sb.String(), 0
	take := func(n int) string {
		at += n
		return buf[at-n : at]
	}
	out := make([]Query, len(qs))
	for i, q := range qs {
		q.User, q.Entity.Type, q.Entity.ID = take(len(q.User)), take(len(q.Entity.Type)), take(len(q.Entity.ID))
		out[i] = q
	}
	return out
}
