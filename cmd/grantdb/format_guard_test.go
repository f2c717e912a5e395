package main_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/store/disk"
)

// skipUnlessFormatKeepsDeniesAndLinks skips tests that import denies or
// links and read them back in a later command, while the disk format does
// not store them (before format 3 the importer refuses them, and a directory
// would lose them on reopen). The probe imports one deny and one link and
// exports them from a second command.
func skipUnlessFormatKeepsDeniesAndLinks(t *testing.T) {
	t.Helper()
	probeOnce.Do(func() {
		dir := t.TempDir() + "/probe"
		in := `{"kind":"link","organization_id":"org_p","child_type":"document","child_id":"d","parent_type":"folder","parent_id":"f"}` + "\n" +
			`{"kind":"grant","organization_id":"org_p","entity_type":"folder","entity_id":"f","grantee_type":"user","grantee_id":"u","access_level":"read","effect":"deny"}`
		if r := grantdb(t, in, "import", "--data", dir, "-"); r.code != 0 {
			return
		}
		out := grantdb(t, "", "export", "--data", dir).stdout
		probeKeeps = strings.Contains(out, `"effect":"deny"`) && strings.Contains(out, `"kind":"link"`)
	})
	if !probeKeeps {
		t.Skip("needs the disk format that persists effect and links: format 3")
	}
}

var (
	probeOnce  sync.Once
	probeKeeps bool
)

// While the disk format cannot store them, a deny or a link is refused at its
// line, and nothing of the file is written: reopened, the directory would
// hold the deny as an allow.
func TestImportRefusesWhatTheFormatCannotStore(t *testing.T) {
	if disk.FormatVersion >= 3 {
		t.Skip("the disk format stores denies and links")
	}
	for _, c := range []struct{ name, line, want string }{
		{"deny", `{"kind":"grant","organization_id":"org_a","entity_type":"doc","entity_id":"d1","grantee_type":"user","grantee_id":"usr_a","access_level":"write","effect":"deny"}`, "line 2: this build's disk format (version 2) does not store denies"},
		{"link", `{"kind":"link","organization_id":"org_a","child_type":"doc","child_id":"d1","parent_type":"folder","parent_id":"f1"}`, "line 2: this build's disk format (version 2) does not store entity links"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dbDir(t)
			r := grantdb(t, sampleLine+"\n"+c.line, "import", "--data", dir, "-")
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, c.want)
			assert.NoDirExists(t, dir, "nothing imported")
		})
	}
}
