package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// A snapshot file is a buntdb file (see codec_aof.go) of sealed records:
//
//	grantdb:header    magic, format version, revision, grant id high-water
//	r:<sequence>      rows of one table: tag, count, rows (snapRowsPerRecord)
//	grantdb:trailer   how many data records and rows of each table precede it
//
// in that order, rows in key order. Holding many rows per record keeps
// buntdb's per-key cost out of the way, and the trailer catches a file cut
// short.
const (
	snapshotMagic   = "grantdb snapshot"
	snapshotVersion = 1
	snapHeaderKey   = "grantdb:header"
	snapTrailerKey  = "grantdb:trailer"
	snapRecordKey   = "r:"
)

// snapRowsPerRecord is how many rows a snapshot record holds at most.
var snapRowsPerRecord = 1000

// snapCounts are a snapshot's sizes, as its trailer records them.
type snapCounts struct {
	records, grants, memberships, jobs uint64
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
func writeSnapshotFile(ctx context.Context, dir string, snap *Snapshot, highWater string) (string, error) {
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

func writeSnapshotTo(ctx context.Context, f *os.File, snap *Snapshot, highWater string) error {
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
	var werr error
	// each runs fn over a table's rows, flushing full records and checking
	// for cancellation between them.
	each := func(table string, tag byte, fn func(raw any)) error {
		it, err := r.txn.Get(table, indexID)
		if err != nil {
			return err
		}
		sw.tag = tag
		for raw := it.Next(); raw != nil; raw = it.Next() {
			fn(raw)
			if sw.row() {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := sw.flush(); err != nil {
					return err
				}
			}
		}
		return sw.flush()
	}
	gc := newGrantCoder()
	werr = each(tableGrants, tagGrants, func(raw any) {
		if sw.n == 0 {
			gc = newGrantCoder()
		}
		row := raw.(*grantRow)
		gc.encode(&sw.items, row.key, &row.g, false)
		sw.counts.grants++
	})
	if werr != nil {
		return werr
	}
	var mc membershipCoder
	werr = each(tableMemberships, tagMemberships, func(raw any) {
		if sw.n == 0 {
			mc = membershipCoder{}
		}
		mc.encode(&sw.items, raw.(*membershipRow).key, false)
		sw.counts.memberships++
	})
	if werr != nil {
		return werr
	}
	jobTables := []struct {
		table string
		row   func(raw any) JobChange
	}{
		{tableJobs, func(raw any) JobChange { return JobChange{Job: &raw.(*jobRow).j} }},
		{tableJobSpecs, func(raw any) JobChange { return JobChange{Spec: &raw.(*jobSpecRow).s} }},
		{tableJobSteps, func(raw any) JobChange { return JobChange{Step: &raw.(*jobStepRow).s} }},
	}
	for _, jt := range jobTables {
		werr = each(jt.table, tagJobs, func(raw any) {
			encodeJobChange(&sw.items, jt.row(raw))
			sw.counts.jobs++
		})
		if werr != nil {
			return werr
		}
	}
	var t encoder
	t.uvarint(sw.counts.records)
	t.uvarint(sw.counts.grants)
	t.uvarint(sw.counts.memberships)
	t.uvarint(sw.counts.jobs)
	if err := sw.put(snapTrailerKey, sealRecord(nil, t.b)); err != nil {
		return err
	}
	return sw.w.Flush()
}
