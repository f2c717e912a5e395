// Package gen generates realistic organisations for grantdb's benchmarks:
// users, a nested department tree, roles that include roles, memberships,
// entities of several types filed in folder trees three or four deep,
// grants with a realistic mix of grantees, levels and time windows, a share
// of denies (exceptions to the allows around them), and a query mix of hot
// and cold users. Config.Flat (or negative FiledShare and DenyShare) turns
// folders and denies off and gives the organisation the generator made
// before it knew them.
//
// Everything is deterministic for a seed: the same Config gives the same Org,
// field by field, on every machine and every run (math/rand/v2's PCG, no map
// iteration, no clock). Sizes Small (~10k grants), Medium (~100k) and Large
// (1M grants, 100k users, ~6 memberships each) are presets of Config.
//
// # Time
//
// Windows are relative to a fixed Epoch, the moment queries are meant to be
// asked at. Some grants have already ended by Epoch, and grantdb refuses a
// grant whose window has ended when it is written, so load an Org with the
// engine clock at Org.LoadTime (before every EffectiveTo) and then move the
// clock to Org.Epoch:
//
//	clock := org.LoadTime
//	e, _ := engine.Open(engine.WithClock(func() time.Time { return clock }))
//	// ... AddMembers(org.Memberships), LinkEntities(org.Links),
//	// create org.Grants ...
//	clock = org.Epoch // (use an atomic in concurrent code)
//
// # Answers
//
// The Org knows the answers to its own questions: Level is a naive oracle
// (breadth-first over memberships and up the folders, linear over the
// grants of the entity and the folders above it, at Epoch: the highest
// allow capped below the lowest deny, docs/design.md §2.10–2.11), Queries
// carries the expected decision of each query and whether a deny or a
// folder's grant is involved or decides it, Answer gives the same for any
// question, and
// UserWithReach and EntityWithAudience pick the user and the entity the
// resolve benchmarks need ("a user who reaches ~50 entities", "an entity
// reached by ~1,000 users").
package gen
