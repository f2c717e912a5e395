package disk

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// A snapshot file is a buntdb file (see codec_aof.go) of sealed records:
//
//	grantdb:header    magic, format version, revision, grant id high-water
//	r:<sequence>      rows of one table: tag, count, rows (snapRowsPerRecord)
//	grantdb:trailer   how many data records and rows of each table precede it
//
// in that order, rows in the order the store's scans yield them (doc.go has
// the layout). Holding many rows per record keeps buntdb's per-key cost out
// of the way, and the trailer catches a file cut short.
const (
	snapshotMagic = "grantdb snapshot"
	// snapshotVersion is the format version in a snapshot's header.
	snapshotVersion = FormatVersion
	snapHeaderKey   = "grantdb:header"
	snapTrailerKey  = "grantdb:trailer"
	snapRecordKey   = "r:"
)

// snapRowsPerRecord is how many rows a snapshot record holds at most.
var snapRowsPerRecord = 1000

// snapCounts are a snapshot's sizes, as its trailer records them.
type snapCounts struct {
	records, grants, memberships, jobs, links uint64
}

// snapWriter writes the records of a snapshot file.
type snapWriter struct {
	w      *bufio.Writer
	cmd    []byte
	body   []byte
	items  encoder
	n      int // rows in items
	tag    byte
	counts snapCounts
}

func (sw *snapWriter) put(key string, body []byte) error {
	sw.cmd = appendSetCommand(sw.cmd[:0], key, body)
	_, err := sw.w.Write(sw.cmd)
	return err
}

// flush writes the rows gathered so far as one record.
func (sw *snapWriter) flush() error {
	if sw.n == 0 {
		return nil
	}
	b := append(sw.body[:0], 0, 0, 0, 0, sw.tag)
	b = binary.AppendUvarint(b, uint64(sw.n))
	b = append(b, sw.items.b...)
	binary.LittleEndian.PutUint32(b, checksum(b[4:]))
	sw.body = b
	sw.items.b, sw.n = sw.items.b[:0], 0
	key := fmt.Sprintf("%s%010d", snapRecordKey, sw.counts.records)
	sw.counts.records++
	return sw.put(key, b)
}

// row counts one row written into items, flushing a full record.
func (sw *snapWriter) row() (full bool) {
	sw.n++
	return sw.n >= snapRowsPerRecord
}

// writeSnapshotFile writes snap into dir as snapshot-<revision>.buntdb: to a
// temporary name, fsynced, renamed into place, directory fsynced. Writers
// are not blocked: snap is frozen. It returns the file's path.
func writeSnapshotFile(ctx context.Context, dir string, snap *store.Snapshot, highWater string) (string, error) {
	path := filepath.Join(dir, snapshotName(snap.Revision()))
	tmp := path + tempSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", fmt.Errorf("store: snapshot: %w", err)
	}
	err = writeSnapshotTo(ctx, f, snap, highWater)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("store: snapshot %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return "", fmt.Errorf("store: snapshot %s: fsync directory: %w", path, err)
	}
	return path, nil
}

func writeSnapshotTo(ctx context.Context, f *os.File, snap *store.Snapshot, highWater string) error {
	sw := &snapWriter{w: bufio.NewWriterSize(f, 1<<20)}
	var h encoder
	h.string(snapshotMagic)
	h.uvarint(snapshotVersion)
	h.uvarint(snap.Revision())
	h.string(highWater)
	if err := sw.put(snapHeaderKey, sealRecord(nil, h.b)); err != nil {
		return err
	}
	r := snap.Read()
	gc := newGrantCoder()
	err := sw.table(ctx, tagGrants, func(row func() bool) error {
		return r.EachGrant(func(g *model.Grant) bool {
			if sw.n == 0 {
				gc = newGrantCoder()
			}
			gc.encode(&sw.items, g, false)
			sw.counts.grants++
			return row()
		})
	})
	if err != nil {
		return err
	}
	mc := newMembershipCoder()
	err = sw.table(ctx, tagMemberships, func(row func() bool) error {
		return r.EachMembership(func(org string, m model.Membership) bool {
			if sw.n == 0 {
				mc = newMembershipCoder()
			}
			mc.encode(&sw.items, org, m, false)
			sw.counts.memberships++
			return row()
		})
	})
	if err != nil {
		return err
	}
	job := func(c store.JobChange) bool {
		encodeJobChange(&sw.items, c)
		sw.counts.jobs++
		return true
	}
	jobTables := []func(row func() bool) error{
		func(row func() bool) error {
			return r.EachJob(func(j store.Job) bool { return job(store.JobChange{Job: &j}) && row() })
		},
		func(row func() bool) error {
			return r.EachJobSpec(func(s store.JobSpec) bool { return job(store.JobChange{Spec: &s}) && row() })
		},
		func(row func() bool) error {
			return r.EachJobStep(func(s store.JobStep) bool { return job(store.JobChange{Step: &s}) && row() })
		},
	}
	for _, each := range jobTables {
		if err := sw.table(ctx, tagJobs, each); err != nil {
			return err
		}
	}
	lc := newLinkCoder()
	err = sw.table(ctx, tagLinks, func(row func() bool) error {
		return r.EachLink(func(org string, l model.EntityLink) bool {
			if sw.n == 0 {
				lc = newLinkCoder()
			}
			lc.encode(&sw.items, org, l, false)
			sw.counts.links++
			return row()
		})
	})
	if err != nil {
		return err
	}
	var t encoder
	t.uvarint(sw.counts.records)
	t.uvarint(sw.counts.grants)
	t.uvarint(sw.counts.memberships)
	t.uvarint(sw.counts.jobs)
	t.uvarint(sw.counts.links)
	if err := sw.put(snapTrailerKey, sealRecord(nil, t.b)); err != nil {
		return err
	}
	return sw.w.Flush()
}

// table writes the rows of one table as records of the given tag. scan
// encodes each row into sw.items and then calls row, which flushes a full
// record and reports whether to go on; the first write error or
// cancellation (checked between records) stops the scan and is returned.
func (sw *snapWriter) table(ctx context.Context, tag byte, scan func(row func() bool) error) error {
	sw.tag = tag
	var werr error
	err := scan(func() bool {
		if !sw.row() {
			return true
		}
		if werr = ctx.Err(); werr != nil {
			return false
		}
		werr = sw.flush()
		return werr == nil
	})
	if werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	return sw.flush()
}
