package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
)

// The compact binary form shared by journal records and snapshot records
// (doc.go has the layout).
//
// Integers are varints, strings are a length then bytes, and the fields of
// consecutive rows are coded against the previous row's (codec_rows.go), so
// a grant costs some thirty bytes. Every record value starts with the CRC-32C
// (Castagnoli) of the rest, little-endian. Decoding checks every length
// against what is left and never trusts a count to allocate, so no input
// makes it panic or allocate much more than the input's size.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// errChecksum is returned for a record whose CRC does not match its bytes.
var errChecksum = errors.New("checksum mismatch")

// sealRecord appends the CRC of body, then body, to dst.
func sealRecord(dst, body []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, checksum(body))
	return append(dst, body...)
}

// openRecord checks the CRC of a sealed record and returns its body.
func openRecord(v []byte) ([]byte, error) {
	if len(v) < 4 {
		return nil, errChecksum
	}
	if binary.LittleEndian.Uint32(v) != checksum(v[4:]) {
		return nil, errChecksum
	}
	return v[4:], nil
}

// encoder appends the compact form to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) byte(c byte)         { e.b = append(e.b, c) }
func (e *encoder) uvarint(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)      { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) int(v int)           { e.varint(int64(v)) }
func (e *encoder) string(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) instant(t time.Time) { e.varint(t.Unix()); e.uvarint(uint64(t.Nanosecond())) }

// time writes t with a presence byte, so that the zero time survives.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.byte(0)
		return
	}
	e.byte(1)
	e.instant(t)
}

// prefixed writes s as the length it shares with prev, then the rest.
func (e *encoder) prefixed(prev, s string) {
	n := commonPrefix(prev, s)
	e.uvarint(uint64(n))
	e.string(s[n:])
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decoder reads the compact form. The first error sticks: later reads
// return zero values, and err reports it.
type decoder struct {
	b   []byte
	off int
	err error
	// version is the format version the bytes were written by (the record's
	// or the file's): rows of an older version are read by its rules.
	version byte
}

// v3 reports whether the bytes follow format version 3 or later (grant and
// ACL effects, entity links, commit times).
func (d *decoder) v3() bool { return d.version >= 3 }

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("at byte %d: "+format, append([]any{d.off}, args...)...)
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("record ends early")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) uvarint() uint64 { return readVarint(d, binary.Uvarint) }
func (d *decoder) varint() int64   { return readVarint(d, binary.Varint) }

// readVarint reads one varint with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// int reads a signed integer that must fit an int32 (counts and indexes).
func (d *decoder) int() int {
	v := d.varint()
	if v < -1<<31 || v > 1<<31-1 {
		d.fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// length reads a length that must fit in what is left of the record.
func (d *decoder) length() int {
	v := d.uvarint()
	if v > uint64(d.left()) {
		d.fail("length %d exceeds the %d bytes left", v, d.left())
		return 0
	}
	return int(v)
}

// count reads a number of items each taking at least minSize bytes, so that
// a count the record cannot hold is refused before anything is allocated.
func (d *decoder) count(minSize int) int {
	v := d.uvarint()
	if v > uint64(d.left()/minSize) {
		d.fail("count %d exceeds what the record holds", v)
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.length()
	if d.err != nil {
		return nil
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) instant() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail("nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		return d.instant()
	default:
		d.fail("bad time marker")
		return time.Time{}
	}
}

// prefixed reads a string written by encoder.prefixed against prev.
func (d *decoder) prefixed(prev string) string {
	n := d.uvarint()
	if n > uint64(len(prev)) {
		d.fail("shared prefix %d longer than the previous key", n)
		return ""
	}
	rest := d.bytes()
	if d.err != nil {
		return ""
	}
	var b strings.Builder
	b.Grow(int(n) + len(rest))
	b.WriteString(prev[:n])
	b.Write(rest)
	return b.String()
}

// end fails unless every byte was read.
func (d *decoder) end() {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d unread bytes", d.left())
	}
}
