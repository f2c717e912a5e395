package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/grantdb/grantdb/engine"
)

// A record larger than the server's maximum payload (a BulkCreate of many
// grants) is stored in the object store first, as commit-<sequence it is
// written for, 20 digits>-<random>; then the stream gets one small message,
// appended on the same condition as any record, whose header names the
// object. That conditional append is the commit point: the commit is in
// the log, in its place, or not at all, so its parts never interleave with
// other replicas' records. Read and Follow hand the engine the object's
// bytes in place of the message.
//
// An object whose message never landed is an orphan: the append lost the
// race (it is deleted at once), or the writer died, or the deletion
// failed. Orphans are harmless (no record names them) and are deleted
// after the next snapshot at or after their sequence is stored, as are the
// objects of records trimmed from the stream.

const (
	commitPrefix = "commit-"
	// headerObject names, on a stream message, the object holding its record.
	headerObject = "Grantdb-Object"
)

// appendLarge is Append for a record too large for one message.
func (l *natsLog) appendLarge(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	obs, err := l.objects(ctx, true)
	if err != nil {
		return 0, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%s%020d-%s", commitPrefix, expectLast+1, hex.EncodeToString(rnd[:]))
	_, err = obs.Put(ctx, jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: l.chunkSize()}},
		bytes.NewReader(record))
	if err != nil {
		return 0, fmt.Errorf("cluster: append to stream %s: store a record of %d bytes: %w", l.cfg.Stream, len(record), err)
	}
	msg := nats.NewMsg(l.cfg.Subject)
	msg.Header.Set(headerObject, name)
	ack, err := l.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(expectLast))
	if err != nil {
		if wrongLastSequence(err) {
			_ = obs.Delete(ctx, name) // no record names it; a failure leaves an orphan
			return 0, fmt.Errorf("cluster: append after %d: %w", expectLast, engine.ErrLogConflict)
		}
		// The message may have landed: the object stays.
		return 0, fmt.Errorf("cluster: append to stream %s: %w", l.cfg.Stream, err)
	}
	return ack.Sequence, nil
}

// record returns the record a stream message holds: its data, or the
// object its header names.
func (l *natsLog) record(ctx context.Context, seq uint64, header nats.Header, data []byte) ([]byte, error) {
	name := header.Get(headerObject)
	if name == "" {
		return data, nil
	}
	obs, err := l.objects(ctx, false)
	if err == nil && obs == nil {
		err = jetstream.ErrBucketNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: stream %s: record %d: %w", l.cfg.Stream, seq, err)
	}
	ctx, cancel := l.boundedLong(ctx)
	defer cancel()
	b, err := obs.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("cluster: stream %s: record %d: object %s: %w", l.cfg.Stream, seq, name, err)
	}
	return b, nil
}

// dropUnneededCommits deletes the large-commit objects written for a
// sequence up to upTo that no record names: those before the stream's
// trim point below (0: none), and orphans.
func (l *natsLog) dropUnneededCommits(ctx context.Context, obs jetstream.ObjectStore, upTo, below uint64) error {
	objs, err := l.objectNames(ctx, obs, commitPrefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, oi := range objs {
		seqText, _, _ := strings.Cut(strings.TrimPrefix(oi.Name, commitPrefix), "-")
		seq, err := strconv.ParseUint(seqText, 10, 64)
		if err != nil || seq > upTo {
			continue
		}
		if seq >= below {
			msg, err := l.stream.GetMsg(ctx, seq)
			switch {
			case errors.Is(err, jetstream.ErrMsgNotFound):
			case err != nil:
				errs = append(errs, err)
				continue
			case msg.Header.Get(headerObject) == oi.Name:
				continue // its record needs it
			}
		}
		if err := obs.Delete(ctx, oi.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
