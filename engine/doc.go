// Package engine is grantdb's public face: an embeddable access-grant engine
// that keeps an organisation's grants and memberships in memory and answers
// "may this user do this to that?" in-process.
//
// Open an Engine, create grants (an entity, a grantee — a user, a department
// or a role — and a level: read < write < admin), add memberships (users in
// departments and roles, departments nested in departments, roles that carry
// other roles' access), and ask Check. Every call is scoped to an
// organisation id: nothing of one organisation is visible from another.
//
// Basics and caveats:
//   - Any number of goroutines may call an Engine at once. Writes are
//     serialised; reads run on the last published revision and never wait
//     for a write, and never see half of one.
//   - Every refusal is a *model.Error whose Code matches a sentinel with
//     errors.Is (model.ErrValidation, ErrNotFound, ErrDuplicate, ErrConflict,
//     ErrClosed) and whose Field names the offending input.
//   - A grant whose window has ended behaves as revoked in every call, at
//     once, whether or not it has been removed yet.
//   - Values returned are copies; changing them changes nothing stored.
//   - Without WithPath, everything lives in memory and is gone at Close.
//     With WithPath, every commit is journalled (fsynced, by default) before
//     the call returns and before readers see it, and Open loads it back;
//     Snapshot copies the current revision to a directory that Open reads.
//   - With WithLog the engine is one replica of many sharing an ordered log
//     of commits (the module github.com/grantdb/grantdb/cluster keeps it in
//     NATS JetStream): writes go through the log, reads stay local, and
//     WaitRevision gives read-your-writes across replicas. WithPath beside
//     it keeps the replica's local copy, so that Open reads only the log
//     after it.
package engine
