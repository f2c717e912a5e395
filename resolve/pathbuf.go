package resolve

import "github.com/grantdb/grantdb/model"

// pathBuf hands out the Via and Chain slices of a list's answers from a few
// shared chunks instead of one allocation each: a list of a thousand users
// would otherwise pay two or more allocations per user. Every slice handed
// out is clipped to its length, so a caller that appends to one gets a copy
// and never writes over its neighbour. The zero pathBuf is ready to use; a
// nil *pathBuf allocates each slice on its own (for single answers).
type pathBuf struct {
	paths    []Path
	subjects []model.Subject
	entities []model.EntityRef
	// pathsChunk and subjectsChunk are the sizes of the last chunks taken:
	// each new chunk doubles, up to maxChunk, so that a short list wastes
	// little and a long one allocates rarely.
	pathsChunk, subjectsChunk, entitiesChunk int
}

const (
	minChunk = 8
	maxChunk = 512
)

// nextChunk returns the size of the chunk after one of last elements, for a
// request of n.
func nextChunk(last, n int) int {
	return max(n, min(max(2*last, minChunk), maxChunk))
}

func (b *pathBuf) takePaths(n int) []Path {
	if b == nil {
		return make([]Path, n)
	}
	if len(b.paths) < n {
		b.pathsChunk = nextChunk(b.pathsChunk, n)
		b.paths = make([]Path, b.pathsChunk)
	}
	out := b.paths[:n:n]
	b.paths = b.paths[n:]
	return out
}

func (b *pathBuf) takeEntities(n int) []model.EntityRef {
	if b == nil {
		return make([]model.EntityRef, n)
	}
	if len(b.entities) < n {
		b.entitiesChunk = nextChunk(b.entitiesChunk, n)
		b.entities = make([]model.EntityRef, b.entitiesChunk)
	}
	out := b.entities[:n:n]
	b.entities = b.entities[n:]
	return out
}

func (b *pathBuf) takeSubjects(n int) []model.Subject {
	if b == nil {
		return make([]model.Subject, n)
	}
	if len(b.subjects) < n {
		b.subjectsChunk = nextChunk(b.subjectsChunk, n)
		b.subjects = make([]model.Subject, b.subjectsChunk)
	}
	out := b.subjects[:n:n]
	b.subjects = b.subjects[n:]
	return out
}
