package gen

import (
	"fmt"
	"time"
)

// Epoch is the generator's "now": the moment its windows are relative to and
// the moment queries are meant to be asked at. It is fixed so that the same
// seed gives the same grants on every run.
var Epoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// LoadLead is how long before Epoch an Org's grants are meant to be written
// (Org.LoadTime): every window still open at that time, including those that
// end before Epoch.
const LoadLead = 24 * time.Hour

// DefaultEntityTypes are the entity types a Config without EntityTypes uses.
var DefaultEntityTypes = []string{"knowledge_slice", "vector_store", "assistant", "fleet", "stream"}

// Size names a preset organisation size.
type Size int

// The preset sizes. With the defaults about 90% of the entities are filed
// in folders (a folder for every ~5 entities, ~1.1 links per entity) and
// about 3% of the grants are denies; Config.Flat has neither.
const (
	// Small has 1,000 users, 1,000 entities and about 10k grants (seed 1:
	// 186 folders, 1,115 links, 333 denies).
	Small Size = iota + 1
	// Medium has 10,000 users, 10,000 entities and about 100k grants (seed
	// 1: 1,466 folders, 10,863 links, 3,381 denies).
	Medium
	// Large has 100,000 users, 100,000 entities and about 1M grants (seed
	// 1: ~14k folders, ~108k links, ~33k denies).
	Large
)

var sizeNames = map[Size]string{Small: "small", Medium: "medium", Large: "large"}

// String returns "small", "medium" or "large".
func (s Size) String() string {
	if n, ok := sizeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("size(%d)", int(s))
}

// ParseSize parses "small", "medium" or "large", as a -size flag gives them.
func ParseSize(name string) (Size, error) {
	for _, s := range []Size{Small, Medium, Large} {
		if sizeNames[s] == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("gen: unknown size %q (want small, medium or large)", name)
}

// Config returns the preset Config of the size, with seed 0. An unknown size
// gives Small's.
func (s Size) Config() Config {
	switch s {
	case Medium:
		return Config{Users: 10_000, Entities: 10_000, DeptFanout: 7, Roles: 200}
	case Large:
		return Config{Users: 100_000, Entities: 100_000, DeptFanout: 10, Roles: 1000}
	default:
		return Config{Users: 1_000, Entities: 1_000, DeptFanout: 4, Roles: 30}
	}
}

// GranteeMix gives the share of grants that go to each kind of grantee. The
// shares are weights: they need not add up to one.
type GranteeMix struct {
	User, Department, Role float64
}

// Config shapes an organisation. A zero field takes the default its comment
// names, so Config{Seed: 1} is a valid (small) organisation.
type Config struct {
	// Seed selects the organisation: the same Config always gives the same
	// Org, and different seeds give different ones.
	Seed uint64
	// Org is the organisation id. Default "org-bench".
	Org string
	// Users is the number of users. Default 1,000.
	Users int
	// Entities is the number of entities. Default 1,000.
	Entities int
	// GrantsPerEntity is the mean number of grants on an entity; each entity
	// gets between half and one and a half times as many. Default 10.
	GrantsPerEntity int
	// DeptDepth is the number of levels of the department tree; users are
	// members of leaf departments (the deepest level). Default 4.
	DeptDepth int
	// DeptFanout is the mean number of sub-departments of a department (each
	// has between half and one and a half times as many). Default 5.
	DeptFanout int
	// Roles is the number of roles. Default 30.
	Roles int
	// DeptsPerUser is the mean number of leaf departments a user is a member
	// of (at least one each). Default 3.
	DeptsPerUser int
	// RolesPerUser is the mean number of roles a user holds. Default 3.
	RolesPerUser int
	// EntityTypes are the entity types, chosen uniformly (the default types
	// with a skewed mix). Default DefaultEntityTypes.
	EntityTypes []string
	// Mix is the share of grants per grantee kind. Default 50% users, 40%
	// departments, 10% roles.
	Mix GranteeMix
	// DeptLevelWeights weigh, for a department grant, the entity's owning
	// leaf department, its parent, grandparent and so on up to the top: most
	// department grants are to small teams, few to a whole division. Default
	// {0.75, 0.2, 0.04, 0.01}; missing levels weigh zero.
	DeptLevelWeights []float64
	// ExternalShare is the share of users outside the department tree
	// (contractors, guests): no department and at most one role, so they
	// reach little beyond their direct grants. Default 0.05; a negative
	// share gives none.
	ExternalShare float64
	// WindowShare is the share of grants with a time window: 70% of them
	// active at Epoch, 15% ended before it and 15% not yet started. Default
	// 0.1; a negative share gives no windows at all.
	WindowShare float64
	// FiledShare is the share of entities filed in a folder: folders of
	// type FolderType form trees three or four deep, each entity filed in a
	// leaf folder (a few in a second one too), and grants on a folder apply
	// to everything below it (docs/design.md §2.11). Half the filed
	// entities get a tenth fewer grants of their own, so that the folders'
	// grants keep the total about Entities*GrantsPerEntity. Default 0.9; a
	// negative share gives no folders and no links.
	FiledShare float64
	// DenyShare is the share of grants that are denies (docs/design.md
	// §2.10): exceptions to the allows around them, mostly a member of a
	// granted department denied write or everything. Default 0.03; a
	// negative share gives none.
	DenyShare float64
}

// FolderType is the entity type of the folders that hold entities.
const FolderType = "folder"

// Flat returns c without folders and denies: the access model of allows on
// entities alone. The Org it gives is the one the generator made before it
// knew folders and denies, field by field, so that measurements of the
// old model stay comparable.
func (c Config) Flat() Config {
	c.FiledShare, c.DenyShare = -1, -1
	return c
}

func (c Config) withDefaults() Config {
	setInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.Org == "" {
		c.Org = "org-bench"
	}
	setInt(&c.Users, 1_000)
	setInt(&c.Entities, 1_000)
	setInt(&c.GrantsPerEntity, 10)
	setInt(&c.DeptDepth, 4)
	setInt(&c.DeptFanout, 5)
	setInt(&c.Roles, 30)
	setInt(&c.DeptsPerUser, 3)
	setInt(&c.RolesPerUser, 3)
	if len(c.EntityTypes) == 0 {
		c.EntityTypes = DefaultEntityTypes
	}
	c.EntityTypes = append([]string(nil), c.EntityTypes...)
	if c.Mix.User <= 0 && c.Mix.Department <= 0 && c.Mix.Role <= 0 {
		c.Mix = GranteeMix{User: 0.5, Department: 0.4, Role: 0.1}
	}
	if len(c.DeptLevelWeights) == 0 {
		c.DeptLevelWeights = []float64{0.88, 0.1, 0.015, 0.005}
	}
	c.DeptLevelWeights = append([]float64(nil), c.DeptLevelWeights...)
	if c.ExternalShare == 0 {
		c.ExternalShare = 0.05
	}
	if c.WindowShare == 0 {
		c.WindowShare = 0.1
	}
	if c.FiledShare == 0 {
		c.FiledShare = 0.9
	}
	if c.DenyShare == 0 {
		c.DenyShare = 0.03
	}
	return c
}
