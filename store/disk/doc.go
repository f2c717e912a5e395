// Package disk is grantdb's file format: the database directory, its lock,
// the journal segments and snapshot files in it, the codecs of their
// records, and loading a store back from them. It is used by package engine
// (WithPath, Snapshot); applications use engine and model, never disk.
//
// The state itself is package store's. This package reads and writes it
// only through store's exported API: a snapshot file is written from a
// store.Snapshot's scans and read back through a store.Restore; a journal
// record holds one store.ChangeSet, redone at load by Store.Replay. Nothing
// here knows how store keys its rows in memory, so that can change without
// changing a file; the golden database under testdata/<FormatVersion>/ pins
// the format.
//
// # Use
//
// Open locks a directory (an advisory flock, released by the kernel when
// the process dies); Load fills a new Store from the newest snapshot file
// and the journal segments after it (handing each commit it replays, with
// its time, to Options.OnReplay); Append journals each commit as one
// checksummed record (a very large one as part records, then the record
// that names them), fsynced under SyncAlways; Checkpoint writes a snapshot
// of a frozen Snapshot in the background (to a temporary name, fsynced,
// renamed, directory fsynced) and deletes the whole journal segments it
// covers (but those Options.KeepCommits keeps for a change feed, which Load
// reads only to hand to OnReplay). A crash tail of the journal is cut off at
// Load and logged; any other damage is an error naming the file
// (ErrCorrupt, ErrNotDatabase, ErrUnsupportedFormat), never a panic or a
// partial load. After a failed write or fsync a Dir refuses every Append
// (ErrWriteFailed) until it is reopened. WriteSnapshotDir writes a Snapshot as a new database directory:
// a point-in-time copy.
//
// # Directory
//
//	LOCK                                  the advisory lock (empty)
//	MANIFEST                              the live files
//	snapshot-<revision>.buntdb            the state at that revision
//	journal-<first revision>.buntdb       a journal segment: commits from that revision on
//	<one of the above>.tmp                a file being written; removed by Open
//
// Revisions in names are 20 decimal digits, so names sort as revisions do.
// Any other entry makes the directory not a database (ErrNotDatabase). Load
// reads the snapshot the MANIFEST names (if any), then every segment it
// names, in order; each segment holds the revisions from its first (its
// first record's, which must match its name) up to the next segment's first
// minus one, and the journal must continue the snapshot without a gap.
// Segments whose revisions are all at or before the snapshot's are those
// kept for a change feed (Options.KeepCommits): their records are checked
// and, with OnReplay, decoded and handed to it, never replayed.
//
// The MANIFEST is rewritten (to MANIFEST.tmp, fsynced, renamed, directory
// fsynced) whenever the live files change: when a segment is started,
// before any record goes into it, and when a checkpoint has written its
// snapshot, before the files it replaces are deleted. A listed file that is
// missing is ErrCorrupt naming it. An unlisted file is what an interrupted
// roll or checkpoint leaves (an older snapshot or a segment it covers, a
// newer snapshot whose checkpoint did not finish, an empty segment after the
// listed ones), removed once Load succeeds; any other unlisted file is
// ErrCorrupt. A directory without a MANIFEST (new, or whose MANIFEST was
// lost) is read from its listing, with a warning, and gets one.
//
// # Container
//
// Every file is a buntdb append-only file: a sequence of RESP commands, of
// which only one shape is written or accepted,
//
//	*3\r\n$3\r\nset\r\n$<key length>\r\n<key>\r\n$<value length>\r\n<value>\r\n
//
// lengths in decimal ASCII without leading zeros. Every value is sealed: the
// CRC-32C (Castagnoli polynomial) of the body, 4 bytes little-endian, then
// the body.
//
// # Primitives
//
// Bodies are built of:
//
//	byte       one byte
//	uvarint    unsigned LEB128, as encoding/binary.AppendUvarint (at most 10 bytes)
//	varint     zig-zag signed LEB128, as encoding/binary.AppendVarint
//	int        a varint that fits an int32 (counts, indexes, enums)
//	string     uvarint byte length, then the bytes (UTF-8, never trusted to allocate)
//	instant    varint seconds since 1970-01-01 UTC, then uvarint nanoseconds (< 1e9)
//	time       byte 0 (the zero time), or byte 1 then an instant
//	prefixed   against a previous value p: uvarint n (n <= len(p)), then string r;
//	           the value is p[:n] + r
//	subject    string type ("user", "department" or "role"), string id
//
// # Grant rows
//
// Grants are written in runs (a snapshot record, or a change set's grant
// section); each row is coded against the previous row of its run, and the
// first against empty values:
//
//	flags      byte: bit 0 deleted (change sets only), bit 1 effective_from
//	           follows, bit 2 effective_to follows, bit 3 created_at follows,
//	           bit 4 updated_at follows, bit 5 updated_at equals created_at,
//	           bit 6 granted_by is the previous row's, bit 7 the effect is
//	           deny (clear: allow); bits 4 and 5 never both; bit 6 never on a
//	           run's first row
//	same       byte: bit i set when field i equals the previous row's field i
//	           (never on a run's first row); bits 5-7 zero
//	fields     for i = 0 organisation, 1 entity type, 2 entity id, 3 grantee
//	           type, 4 grantee id, in that order, each whose same bit is clear:
//	           prefixed against the previous row's field i. None is empty; the
//	           grantee type is "user", "department" or "role"
//	id         prefixed against the previous row's id; not empty
//	level      byte: 1 read, 2 write, 3 admin
//	granted_by string, unless flags bit 6
//	effective_from, effective_to, created_at, updated_at
//	           an instant each, when flags bits 1, 2, 3 and 4 say so
//
// # Membership rows
//
// Memberships are written in runs as grants are:
//
//	flags      byte: 0 added, 1 deleted (change sets only)
//	same       byte: bit i set when field i equals the previous row's (never
//	           on a run's first row); bits 5-7 zero
//	fields     for i = 0 organisation, 1 member type, 2 member id, 3 group
//	           type, 4 group id, each whose same bit is clear: prefixed against
//	           the previous row's field i. None is empty; the group type is
//	           "department" or "role"
//
// # Link rows
//
// Entity links are written in runs as memberships are:
//
//	flags      byte: 0 added, 1 deleted (change sets only)
//	same       byte: bit i set when field i equals the previous row's (never
//	           on a run's first row); bits 5-7 zero
//	fields     for i = 0 organisation, 1 child type, 2 child id, 3 parent
//	           type, 4 parent id, each whose same bit is clear: prefixed
//	           against the previous row's field i. None is empty; the child
//	           is not the parent
//
// # Job rows
//
// A job row starts with its kind byte: 1 summary, 2 spec, 3 step. Operations
// are the strings "create", "replace_all", "replace_grantees" and "revoke";
// statuses "NotStarted", "InProgress", "Succeeded", "PartiallySucceeded",
// "Failed" and "Cancelled"; modes the ints 0 skip_duplicates, 1
// all_or_nothing, 2 upsert. Anything else is corruption.
//
//	summary    string organisation, id, name, description, requested_by,
//	           operation, status; time submit, start, end; int steps
//	           succeeded, steps failed, steps processed, total steps
//	spec       string organisation, job id, operation; int mode; string
//	           requested_by, entity type; uvarint n, then n grant inputs
//	           (string entity type, entity id; subject grantee; byte level;
//	           byte effect; string granted_by; time effective_from,
//	           effective_to); uvarint n, then n access control entries
//	           (subject, byte level, byte effect); uvarint n, then n subjects
//	           (the grantees). An effect byte is 0 allow or 1 deny
//	step       string organisation, job id; int index (>= 0); string resource
//	           type, resource id; string status; time start, end; uvarint n,
//	           then n errors (string code, message, field)
//
// # Change sets
//
// A change set is what one commit did:
//
//	version    byte FormatVersion
//	revision   uvarint
//	at         instant: when the commit was made (the engine's clock, the
//	           time its change feed reports)
//	sections   in ascending tag order, each at most once and only when not
//	           empty: byte tag (1 grants, 2 memberships, 3 jobs, 4 links,
//	           5 replaced grants), uvarint count, then count rows (the grant
//	           rows one run, the membership rows one run, job rows each with
//	           its kind, the link rows one run, the replaced grants as below)
//	end        byte 0
//
// The replaced grants section (tag 5) holds, for each grant write of the
// change set that replaced, under its key, a stored grant of another id
// (an ended grant not yet swept, which a change feed shows as deleted just
// before the write), that grant; a write that replaced a row of its own id,
// or nothing, has none. With count n (1 to the grant section's count):
//
//	indexes    n uvarints: the position of each such write in the grant
//	           section (from 0), ascending; each names a write, not a delete
//	rows       n grant rows, one run, the k-th the grant the k-th index's
//	           write replaced: flags bit 0 clear, the organisation, entity,
//	           grantee and effect (flags bit 7) those of its write, the id
//	           another
//
// A tag this version does not know is ErrUnsupportedFormat.
//
// # Journal segments
//
// A segment holds, in ascending revision order:
//
//	j:<revision, 20 digits>              body: byte kind, then
//	                                     kind 1 (inline): the change set of revision
//	                                     kind 2 (parts): uvarint n parts, uvarint total
//	                                     length, 4 bytes little-endian CRC-32C of the
//	                                     parts' bodies joined, which are the change set
//	p:<revision, 20 digits>:<i, 6 digits> body: bytes of the change set, part i;
//	                                     parts 0..n-1 come, in order, before their j:
//
// The parts are fsynced before their j: record is written, so a whole j:
// record always has whole parts behind it. Only the newest segment may end
// in a crash tail: zero bytes, a command cut short, or parts whose j: record
// never came. Load cuts it off and logs it; anything else that does not
// check is ErrCorrupt, including a last record that is whole by its lengths
// but fails its checksum (damaged after it was written), unless
// Options.CutCorruptTail asks to cut that off too.
//
// # MANIFEST
//
// One sealed record, key grantdb:manifest: string magic "grantdb
// manifest", uvarint version (FormatVersion; version 2's is the same
// record), byte 0 (no snapshot) or byte 1
// then uvarint the snapshot's revision, uvarint n, then n uvarints: the
// first revisions of the live segments, ascending. Nothing after it.
//
// # Snapshot files
//
//	grantdb:header        string magic "grantdb snapshot", uvarint version
//	                      (FormatVersion), uvarint revision, string grant id
//	                      high-water (the greatest grant id ever stored,
//	                      also of grants deleted since)
//	r:<sequence, 10 digits> from 0: byte tag (1 grants, 2 memberships, 3
//	                      jobs, 4 links), uvarint count (1 to 1000), then
//	                      count rows of that table, one run; the grant
//	                      records first, then memberships, then job
//	                      summaries, specs and steps, then links; no
//	                      deletions
//	grantdb:trailer       uvarint count of r: records, of grants, of
//	                      memberships, of job rows, of links
//
// in that order and nothing after. A header of another version is
// ErrUnsupportedFormat.
//
// # Versions
//
// This is format version 3. Version 2 is still read, file by file (a
// snapshot's header, a MANIFEST) and record by record (a change set's first
// byte), by its own rules: no effects (grant flags bit 7 zero, no effect
// bytes in job specs: every row is an allow), no links (tag 4 is
// ErrUnsupportedFormat), no commit time in a change set (reported as the
// zero time), no links count in a snapshot trailer, no replaced grants (tag
// 5 is ErrUnsupportedFormat: Load finds them in the state for the commits
// it replays; a kept commit before the snapshot has none). A version 2 database
// therefore opens; what is appended to it is version 3, and so is its next
// snapshot. Version 1 (written before this package existed) coded rows by
// the store's in-memory keys and is refused with ErrUnsupportedFormat.
package disk
