package engine

import (
	"log/slog"

	"github.com/grantdb/grantdb/store/disk"
)

// Durability (docs/design.md §3): with WithPath the engine keeps its state in a
// database directory — a snapshot and a journal of the commits after it —
// and journals each commit before readers see it and before the call that
// made it returns.

// SyncPolicy says when a journalled commit is forced to disk (fsync). Every
// policy writes the commit to the file before the call returns, so a crash of
// the process alone (kill -9) loses nothing acknowledged; they differ on a
// power cut or an operating-system crash.
type SyncPolicy = disk.SyncPolicy

// The sync policies of WithSync.
const (
	// SyncAlways (the default) returns from a write call only once its commit
	// is on disk: an acknowledged write survives a power cut. One fsync per
	// commit, whatever its size (a 10k-grant BulkCreate is one fsync).
	SyncAlways = disk.SyncAlways
	// SyncEverySecond fsyncs in the background about once a second: a power
	// cut may lose about the last second of acknowledged writes. Each commit
	// carries a checksum, so what Open loads holds whole commits only.
	SyncEverySecond = disk.SyncEverySecond
	// SyncNever leaves flushing to the operating system (and to Close): a
	// power cut may lose any acknowledged write the system had not flushed
	// yet; as with SyncEverySecond, never part of one.
	SyncNever = disk.SyncNever
)

// ErrWriteFailed is wrapped by the error of a write whose commit could not
// be journalled, and of every write after it: a durable engine whose files
// failed to write (or fsync) publishes nothing more and refuses writes until
// it is closed and opened again. Reads go on answering from the last
// acknowledged revision. The failed commit may or may not be there after
// the reopen. Match it with errors.Is.
var ErrWriteFailed = disk.ErrWriteFailed

// Errors of Open with WithPath, wrapped with the path and what is wrong;
// match them with errors.Is.
var (
	// ErrLocked: the database directory is open already, in this process
	// or another.
	ErrLocked = disk.ErrLocked
	// ErrNotDatabase: the path is a file, or a directory holding files that
	// are not grantdb's, or a file in it is not a grantdb file.
	ErrNotDatabase = disk.ErrNotDatabase
	// ErrCorrupt: a file is damaged other than in the tail a crash leaves
	// (which Open cuts off and logs); the error names the file and the
	// revision.
	ErrCorrupt = disk.ErrCorrupt
	// ErrUnsupportedFormat: a file was written by a newer format.
	ErrUnsupportedFormat = disk.ErrUnsupportedFormat
)

// Defaults of WithCheckpointEvery.
const (
	// DefaultCheckpointRecords is how many journalled commits trigger a
	// checkpoint unless WithCheckpointEvery says otherwise.
	DefaultCheckpointRecords = 100_000
	// DefaultCheckpointBytes is how many bytes of journalled commits trigger
	// a checkpoint unless WithCheckpointEvery says otherwise (64 MiB).
	DefaultCheckpointBytes int64 = 64 << 20
)

// persistConfig is the durable part of config.
type persistConfig struct {
	path        string
	pathSet     bool // WithPath was given, perhaps with an empty path
	sync        SyncPolicy
	syncSet     bool // WithSync was given
	ckptRecords int
	ckptBytes   int64
	logger      *slog.Logger
	cutTail     bool
	// dirHook, set by tests only, wraps the database directory so that they
	// can inject failures.
	dirHook func(durableDir) durableDir
}

func defaultPersistConfig() persistConfig {
	return persistConfig{sync: SyncAlways, ckptRecords: DefaultCheckpointRecords, ckptBytes: DefaultCheckpointBytes}
}

// WithPath makes the engine durable: Open loads the database directory at
// dir (created when missing), and every commit is journalled there before
// the write call returns and before readers see it. The directory is locked
// while the engine is open: a second Open of it fails with ErrLocked. A path
// that is a file, or a directory holding files that are not grantdb's, is
// refused, and so is an empty dir (ErrValidation on path): leave WithPath
// out for an in-memory engine. Jobs cut off by Close or a crash resume on
// Open from their first unfinished step (for a replica, on the lease
// holder: WithLease). Beside WithLog the directory is the replica's local
// copy of the log, and Open reads the log after it (see WithLog). Default:
// no path, everything in memory.
func WithPath(dir string) Option {
	return func(c *config) { c.persist.path, c.persist.pathSet = dir, true }
}

// WithSync sets when a durable engine's commits are forced to disk.
// Default: SyncAlways (a write call returns after its fsync), except for a
// replica (WithLog), whose directory is a local copy of the log: the log
// holds every acknowledged write, and a tail the copy lost is read from it
// again at Open, so a replica's default is SyncEverySecond. It has no
// effect without WithPath.
func WithSync(policy SyncPolicy) Option {
	return func(c *config) { c.persist.sync, c.persist.syncSet = policy, true }
}

// WithCheckpointEvery sets when a durable engine takes a checkpoint: once
// records commits, or bytes bytes of them, have been journalled since the
// last one, the engine writes a snapshot of the current revision in the
// background (writers are not blocked) and deletes the journal it covers,
// which bounds the journal's size and the replay time of Open; it keeps
// the journal of the last WithChangeRetention commits, which Open reads
// only to serve the change feed across restarts. A threshold
// of zero or less is not used; with neither, the journal only grows.
// Default: 100000 commits (DefaultCheckpointRecords) or 64 MiB
// (DefaultCheckpointBytes), whichever comes first.
func WithCheckpointEvery(records int, bytes int64) Option {
	return func(c *config) { c.persist.ckptRecords, c.persist.ckptBytes = records, bytes }
}

// WithLogger sets where a durable engine reports what it recovers from
// without failing: a torn tail cut off the journal at Open (the trace of a
// crash mid-write), part records of a commit that never completed, a
// background checkpoint that failed (it is retried later). Default:
// slog.Default(). A nil logger is ignored.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.persist.logger = l
		}
	}
}

// WithCutCorruptTail lets Open of a durable engine cut off the journal's
// last record when it is whole but fails its checksum, and log what it cut
// (to WithLogger's logger), instead of failing with ErrCorrupt. A torn write
// (a record cut short, zero padding) is always cut off: it was never
// acknowledged. A whole record that fails its checksum was damaged after it
// was written and may hold an acknowledged commit, so losing it is the
// operator's decision: open once with this option after an ErrCorrupt that
// names the journal's last revision. Default: off.
func WithCutCorruptTail() Option {
	return func(c *config) { c.persist.cutTail = true }
}
