package resolve

import "hash/maphash"

// Per organisation, the index counts denies and links, so that an
// organisation with neither answers Check on the path it had before either
// existed, even while other organisations of the same engine use them.

type orgCounts struct{ denies, links int }

func hashOrg(org string) uint64 { return maphash.String(hashSeed, org) }

// orgHasDenyOrLinks reports whether org holds a deny or a link.
func (ix *Index) orgHasDenyOrLinks(org string) bool {
	c, _ := ix.orgs.get(hashOrg(org), org)
	return c.denies > 0 || c.links > 0
}

// orgDeltas collects one commit's changes to the counts.
type orgDeltas map[string]orgCounts

func (d orgDeltas) add(org string, denies, links int) {
	if denies == 0 && links == 0 {
		return
	}
	c := d[org]
	c.denies += denies
	c.links += links
	d[org] = c
}

// apply returns m with the deltas added, dropping organisations left with
// nothing to count.
func (d orgDeltas) apply(m cowMap[string, orgCounts]) cowMap[string, orgCounts] {
	if len(d) == 0 {
		return m
	}
	b := newCowMapBuilder(m)
	for org, delta := range d {
		h := hashOrg(org)
		c, _ := b.get(h, org)
		c.denies += delta.denies
		c.links += delta.links
		if c == (orgCounts{}) {
			b.delete(h, org)
		} else {
			b.set(h, org, c)
		}
	}
	return b.done()
}
