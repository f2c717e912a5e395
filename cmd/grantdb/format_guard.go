package main

import (
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store/disk"
)

// formatWithDenies is the first disk format that stores a grant's effect and
// entity links. Before it, a durable engine holds denies and links in memory
// only: reopened, the directory has lost the links and turned every deny into
// an allow of the same level.
const formatWithDenies = 3

// refuseUnstorable refuses a file holding a deny or a link while this build's
// disk format cannot store them, at the line of the first: importing one
// would widen access (a deny read back as an allow) the next time the
// directory is opened. Once the format stores them this lets everything pass.
func refuseUnstorable(recs []record) error {
	if disk.FormatVersion >= formatWithDenies {
		return nil
	}
	for _, r := range recs {
		switch {
		case r.kind == kindGrant && r.grant.Effect == model.EffectDeny:
			return atLinef(r.line, "this build's disk format (version %d) does not store denies: reopened, the directory would hold this deny as an allow. "+
				"Import denies with a build whose format is %d or later", disk.FormatVersion, formatWithDenies)
		case r.kind == kindLink:
			return atLinef(r.line, "this build's disk format (version %d) does not store entity links: reopened, the directory would have lost them. "+
				"Import links with a build whose format is %d or later", disk.FormatVersion, formatWithDenies)
		}
	}
	return nil
}
