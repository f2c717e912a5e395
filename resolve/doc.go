// Package resolve answers what a user may do: a user's effective level on an
// entity through direct grants, nested departments and roles that include
// roles, and grants on the entities the entity sits inside, capped by the
// denies that reach the user (deny.go), with the paths that explain it,
// listed from the user's side and from the entity's; and what a group gives
// its members as a whole (CheckSubject).
//
// The answers come from an Index: a derived, immutable structure of one store
// revision, built from each commit's store.ChangeSet (Index.Apply) or from a
// whole snapshot (Build), and published by the engine together with the
// memdb snapshot of the same revision. Per entity it keeps a record
// (entities.go): an interned id, its grants as compact entries sorted by
// level, a count of its denies and, for a linked entity, the ids of every
// entity above it; per subject an interned id and its direct groups; per
// group the set of its ancestors and its direct members; per user its
// closure (every group it reaches), so that a check reads no group; a
// membership change recomputes only the sets of the groups below it and the
// closures of their users; per linked
// entity its parents, children and ancestor set, likewise recomputed only
// below a changed link (links.go). An entity with no deny and no link costs
// Check nothing for either: its record says so. Check reads only the index
// and does not allocate. The lists (ResolvedAccess,
// UsersWithAccess) also read the reverse directions — grants by grantee,
// members by group — from a store.ReadTxn, which must be of the index's
// revision.
//
// Times are unix nanoseconds (see Nanos): a grant applies at now when
// EffectiveFrom <= now < EffectiveTo, zero bounds open. Explanations are
// deterministic: see Index.Resolve for how chains are chosen and ordered.
//
// resolve never writes the store, and validates nothing: the engine checks
// inputs before calling it.
//
// # Who uses it
//
// resolve is used by engine, which owns the one write path and publishes
// each revision's Index. Applications use engine and model; they meet
// resolve only through its result types (Decision, Path, UserAccess, Query),
// which appear in engine's API. Its other exports serve engine and may
// change with it.
package resolve
