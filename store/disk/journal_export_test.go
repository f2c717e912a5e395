package disk

import "os"

// SetSyncHook makes d's journal fsync through fn, to inject failures; the
// returned function restores the real fsync.
func SetSyncHook(d *Dir, fn func(*os.File) error) (restore func()) {
	d.j.mu.Lock()
	defer d.j.mu.Unlock()
	old := d.j.syncFile
	d.j.syncFile = fn
	return func() {
		d.j.mu.Lock()
		defer d.j.mu.Unlock()
		d.j.syncFile = old
	}
}

// SetSnapRowsPerRecord sets how many rows a snapshot record holds; the
// returned function restores it.
func SetSnapRowsPerRecord(n int) (restore func()) {
	old := snapRowsPerRecord
	snapRowsPerRecord = n
	return func() { snapRowsPerRecord = old }
}

// SnapshotWithVersion returns the snapshot file b with its header's format
// version replaced.
func SnapshotWithVersion(t interface{ Fatal(...any) }, b []byte, version uint64) []byte {
	key, val, n, err := parseSetCommand(b)
	if err != nil || string(key) != snapHeaderKey {
		t.Fatal("not a snapshot", err)
	}
	body, err := openRecord(val)
	if err != nil {
		t.Fatal(err)
	}
	d := decoder{b: body}
	magic := d.string()
	_ = d.uvarint()
	var h encoder
	h.string(magic)
	h.uvarint(version)
	h.b = append(h.b, body[d.off:]...)
	out := appendSetCommand(nil, snapHeaderKey, sealRecord(nil, h.b))
	return append(out, b[n:]...)
}
