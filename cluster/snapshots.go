package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grantdb/grantdb/engine"
)

// Snapshots (engine.SnapshotStore): each is an object named after the
// sequence it covers, snapshot-<seq, 20 digits>, with the revision in its
// metadata; the newest is the one of the greatest sequence, found by
// listing (no pointer object to keep in step). Any replica may store one:
// two storing the same sequence store the same state, and the last write
// stands. After a snapshot is stored, older ones beyond
// Config.KeepSnapshots are deleted, the stream is trimmed below it when
// Config.KeepRecords says so, and large commits no record needs any more
// are deleted (bigrecord.go).

var _ engine.SnapshotStore = (*natsLog)(nil)

const (
	snapshotPrefix = "snapshot-"
	metaRevision   = "grantdb-revision"
)

func snapshotObject(seq uint64) string { return fmt.Sprintf("%s%020d", snapshotPrefix, seq) }

// PutSnapshot stores the snapshot of info, then prunes (see above).
func (l *natsLog) PutSnapshot(ctx context.Context, info engine.SnapshotInfo, r io.Reader) error {
	ctx, cancel := l.boundedLong(ctx)
	defer cancel()
	obs, err := l.objects(ctx, true)
	if err != nil {
		return err
	}
	_, err = obs.Put(ctx, jetstream.ObjectMeta{
		Name:     snapshotObject(info.Seq),
		Metadata: map[string]string{metaRevision: strconv.FormatUint(info.Revision, 10)},
		Opts:     &jetstream.ObjectMetaOptions{ChunkSize: l.chunkSize()},
	}, r)
	if err != nil {
		return fmt.Errorf("cluster: store the snapshot of revision %d: %w", info.Revision, err)
	}
	if err := l.prune(ctx, obs, info); err != nil {
		return fmt.Errorf("cluster: the snapshot of revision %d is stored; pruning after it: %w", info.Revision, err)
	}
	return nil
}

// LatestSnapshot describes the snapshot of the greatest sequence.
func (l *natsLog) LatestSnapshot(ctx context.Context) (engine.SnapshotInfo, bool, error) {
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	obs, err := l.objects(ctx, false)
	if err != nil || obs == nil {
		return engine.SnapshotInfo{}, false, err
	}
	snaps, err := l.snapshots(ctx, obs)
	if err != nil || len(snaps) == 0 {
		return engine.SnapshotInfo{}, false, err
	}
	return snaps[len(snaps)-1], true, nil
}

// OpenSnapshot reads the snapshot of info.
func (l *natsLog) OpenSnapshot(ctx context.Context, info engine.SnapshotInfo) (io.ReadCloser, error) {
	obs, err := l.objects(ctx, false)
	if err != nil {
		return nil, err
	}
	if obs == nil {
		return nil, fmt.Errorf("cluster: object store %s: %w", l.cfg.ObjectStore, jetstream.ErrBucketNotFound)
	}
	ctx, cancel := l.boundedLong(ctx)
	res, err := obs.Get(ctx, snapshotObject(info.Seq))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("cluster: the snapshot of revision %d: %w", info.Revision, err)
	}
	return cancelOnClose{res, cancel}, nil
}

// cancelOnClose releases a download's context when it is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// snapshots lists the stored snapshots, oldest first.
func (l *natsLog) snapshots(ctx context.Context, obs jetstream.ObjectStore) ([]engine.SnapshotInfo, error) {
	objs, err := l.objectNames(ctx, obs, snapshotPrefix)
	if err != nil {
		return nil, err
	}
	var out []engine.SnapshotInfo
	for _, oi := range objs {
		seq, err1 := strconv.ParseUint(strings.TrimPrefix(oi.Name, snapshotPrefix), 10, 64)
		rev, err2 := strconv.ParseUint(oi.Metadata[metaRevision], 10, 64)
		if err1 != nil || err2 != nil {
			continue // not one of ours
		}
		out = append(out, engine.SnapshotInfo{Seq: seq, Revision: rev})
	}
	slices.SortFunc(out, func(a, b engine.SnapshotInfo) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// prune runs after the snapshot of info is stored: it deletes the older
// snapshots beyond Config.KeepSnapshots, trims the stream below info's
// sequence less Config.KeepRecords (when set) and deletes the large
// commits no record needs.
func (l *natsLog) prune(ctx context.Context, obs jetstream.ObjectStore, info engine.SnapshotInfo) error {
	snaps, err := l.snapshots(ctx, obs)
	if err != nil {
		return err
	}
	var errs []error
	for i := 0; i < len(snaps)-l.cfg.KeepSnapshots; i++ {
		if snaps[i].Seq < info.Seq {
			if err := obs.Delete(ctx, snapshotObject(snaps[i].Seq)); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				errs = append(errs, err)
			}
		}
	}
	var below uint64 // the stream's records before it are gone
	if k := l.cfg.KeepRecords; k > 0 && info.Seq >= k {
		below = info.Seq + 1 - k
		if err := l.stream.Purge(ctx, jetstream.WithPurgeSequence(below)); err != nil {
			errs = append(errs, fmt.Errorf("trim stream %s below %d: %w", l.cfg.Stream, below, err))
			below = 0
		}
	}
	errs = append(errs, l.dropUnneededCommits(ctx, obs, info.Seq, below))
	return errors.Join(errs...)
}
