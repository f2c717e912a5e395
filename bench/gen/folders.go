package gen

import (
	"fmt"
	"math/rand/v2"

	"github.com/grantdb/grantdb/model"
)

// Folder trees: three or four levels deep, three sub-folders a folder on
// average, about entitiesPerFolder entities filed in each leaf, and a few
// entities (secondShare of those filed) in a second leaf as well.
const (
	folderFanout      = 3
	entitiesPerFolder = 10
	secondShare       = 0.05
)

// buildFolders grows the folder trees, each owned by a leaf department, until
// they have a leaf folder for every entitiesPerFolder filed entities, then
// files the entities. Folder codes follow the entities' (compact's doc).
func (o *Org) buildFolders(r *rand.Rand) {
	c := &o.c
	c.entities = len(o.Entities)
	if o.Config.FiledShare < 0 {
		c.entityParents = make([][]int32, c.entities)
		c.entityChildren = make([][]int32, c.entities)
		return
	}
	var filed []int32
	for e := range c.entities {
		if r.Float64() < o.Config.FiledShare {
			filed = append(filed, int32(e))
		}
	}
	wantLeaves := max(1, len(filed)/entitiesPerFolder)
	var leaves []int32 // folder codes
	var folderParent []int32
	for len(leaves) < wantLeaves {
		team := c.leaves[r.IntN(len(c.leaves))]
		depth := 3 + r.IntN(2)
		level := []int32{-1}
		for d := 1; d <= depth; d++ {
			var next []int32
			for _, parent := range level {
				kids := 1
				if parent >= 0 {
					kids = spread(r, folderFanout, 1)
				}
				for range kids {
					f := int32(c.entities + len(o.Folders))
					o.Folders = append(o.Folders, model.EntityRef{Type: FolderType, ID: fmt.Sprintf("folder-%07d", len(o.Folders)+1)})
					folderParent = append(folderParent, parent)
					c.folderTeam = append(c.folderTeam, team)
					c.folderDepth = append(c.folderDepth, d)
					next = append(next, f)
				}
			}
			level = next
		}
		leaves = append(leaves, level...)
	}
	n := c.entities + len(o.Folders)
	c.entityParents = make([][]int32, n)
	c.entityChildren = make([][]int32, n)
	link := func(child, parent int32) {
		c.entityParents[child] = append(c.entityParents[child], parent)
		c.entityChildren[parent] = append(c.entityChildren[parent], child)
		o.Links = append(o.Links, model.EntityLink{Child: o.entityRef(child), Parent: o.entityRef(parent)})
	}
	for i, p := range folderParent {
		if p >= 0 {
			link(int32(c.entities+i), p)
		}
	}
	for _, e := range filed {
		first := leaves[r.IntN(len(leaves))]
		link(e, first)
		if r.Float64() < secondShare {
			if second := leaves[r.IntN(len(leaves))]; second != first {
				link(e, second)
			}
		}
	}
}

// ancestors returns the entity code e and every folder above it, each once.
func (o *Org) ancestors(e int32) []int32 {
	c := &o.c
	out := []int32{e}
	for i := 0; i < len(out); i++ {
		for _, p := range c.entityParents[out[i]] {
			if !containsInt32(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
