// Command report compares grantdb with Casbin, OpenFGA and SpiceDB on one generated
// organisation, and writes the comparison as tables, plots and JSON.
//
//	cd bench/report && go run . -size medium
//
// It builds the organisation with bench/gen (fixed seed, -seed), loads the
// same memberships and grants into each engine, checks that every engine
// answers a sample of two query mixes as the generator expects (the
// generator's hot mix, and user and entity drawn uniformly at random; a
// disagreement is a correctness finding and is printed, not averaged away),
// then measures load time, check latency (median, p90, p99) and allocations
// per check on each mix, check throughput on one goroutine and on
// GOMAXPROCS goroutines, and heap after load; and, for grantdb alone,
// Resolve, ResolvedAccess, UsersWithAccess, ListGrants pages, Snapshot,
// Open of a snapshot, BulkCreate and AddMembers. It states issue 15's goals
// with the values measured, and writes results/<size>.md,
// results/<size>.svg and results/<size>.json.
//
// # How each engine holds the organisation
//
// The organisation is the generator's default, rich model (-model rich):
// entities filed in folder trees three or four deep, entity links, and
// about 3% denies. -model flat takes Config.Flat's allows on entities alone
// and the simpler models earlier reports measured. On the rich model:
//
//   - grantdb: LinkEntities of every link between AddMembers and
//     BulkCreate; the denies are grants with Effect deny.
//   - Casbin: links as g2 lines, matched by g2(r.obj, p.obj) on the
//     policies of entities that hold others; denies as p lines with eft
//     deny under some(allow) && !some(deny), a deny covering its level and
//     every level above it in the matcher.
//   - OpenFGA: parent: [folder] on every type; allow_<level> the allows at
//     that level or above, or allow_<level> from parent; deny_<level> the
//     denies at that level or below, or deny_<level> from parent; each
//     level allow_<level> but not deny_<level>.
//   - SpiceDB: the same with parent arrows (parent->allow_read) and
//     exclusion (allow_read - deny_read).
//
// On the flat model (and, links and denies aside, on the rich one):
//
//   - grantdb: engine.Open in memory with a clock at the organisation's
//     LoadTime, AddMembers of every membership, one BulkCreate of every
//     grant (windows included), then the clock moved to Epoch.
//   - Casbin v2: RBAC with domains, the organisation as the domain. Each
//     membership is a g line (user in department or role, department in
//     department, role in role); each grant is one p line with its level as
//     the action. The level order admin ⊇ write ⊇ read is in the matcher
//     (one p per grant, not one per covered action). Casbin has no time
//     windows: only grants active at Epoch are loaded.
//   - OpenFGA: the embedded server (pkg/server) over the in-memory datastore,
//     called in-process through its Go API. Types user, department and role
//     (member: user or a nested group's members) and one type per entity
//     type with admin, write (admin or direct) and read (write or direct).
//     As for Casbin, only grants active at Epoch are written.
//   - SpiceDB: pkg/embedded's in-process checker over the in-memory
//     datastore, relationships written in transactions on the datastore.
//     Definitions user, department and role (member: user or a nested
//     group's members) and per entity type relations reader, writer and
//     administrator under permissions admin, write (writer or admin) and
//     read (reader or write). Only grants active at Epoch are written.
//
// # Budgets
//
// Casbin's Enforce and OpenFGA's in-memory datastore both scan every policy
// or tuple, and OpenFGA's writes get slower with every tuple stored. Each
// peer has a load budget and a query budget (flags): a peer that runs out of
// load budget keeps what it has loaded (memberships first, then grants
// entity by entity), its checks are measured on that subset, and only the
// queries whose entity it holds completely are compared with the expected
// answers; a peer that runs out of query budget stops checking. The report
// says where each peer was stopped.
//
// # Sizes
//
// The plot of check latency against organisation size uses this run and the
// results/<size>.json files of the other sizes already there, taken on the
// same machine (run small, medium and large in turn for the full curve;
// -render rewrites an earlier run's md and svg from its JSON, with the
// curve of the files there now).
package main
