package gen

import (
	"sync"
	"time"

	"github.com/grantdb/grantdb/model"
)

// Org is one generated organisation, ready for the engine API: add
// Memberships, then create Grants (see the package doc for the clock). Treat
// its fields as read-only: the methods answer from a compact copy of the
// generated data and an index built on first use. Its methods are safe for
// concurrent use.
type Org struct {
	// ID is the organisation id every call takes.
	ID string
	// Config is the configuration the Org was made from, defaults filled in.
	Config Config
	// LoadTime is when the grants are meant to be written: LoadLead before
	// Epoch, before every grant's EffectiveTo.
	LoadTime time.Time
	// Epoch is when queries are meant to be asked (the package's Epoch).
	Epoch time.Time
	// Users are the user ids, in generation order.
	Users []string
	// Departments is the department tree, parents before their children.
	Departments []Department
	// Roles are the role ids. A role may include roles that come after it
	// (never one before), so roles form a DAG.
	Roles []string
	// Entities are the entities queries ask about, in generation order.
	Entities []model.EntityRef
	// Folders are the folders (of type FolderType) that hold entities, each
	// tree top-down, roots first. Grants name them too; queries rarely ask
	// about them. Empty when Config.FiledShare is negative.
	Folders []model.EntityRef
	// Links put folders inside folders and entities inside leaf folders
	// (model.EntityLink, docs/design.md §2.11): folder links first, parents
	// before children, then entity links in entity order. Apply them
	// before asking (engine.LinkEntities); none repeats and none closes a
	// cycle.
	Links []model.EntityLink
	// Memberships nest departments, let roles include roles and put users in
	// leaf departments and roles: department nesting first, then role
	// inclusion, then users' memberships. No membership repeats and none
	// closes a cycle.
	Memberships []model.Membership
	// Grants are the grants, allows and denies, grouped by entity: the
	// folders' first, then the entities'. No (entity, grantee, effect)
	// repeats.
	Grants []model.GrantInput

	c compact

	indexOnce sync.Once
	ix        *index
}

// Department is one department of the tree.
type Department struct {
	ID string
	// Parent is the id of the department it is nested in; empty at the top.
	Parent string
	// Depth is 1 at the top and Config.DeptDepth for leaves.
	Depth int
}

// compact is the generated organisation in integer form. Subjects are coded
// as one int32 space: users [0, users), departments [users, users+depts),
// roles after them. Entities are coded likewise: Entities [0, entities),
// Folders after them.
type compact struct {
	users, depts, roles int
	subjects            []model.Subject // by code
	deptParent          []int32         // by department number; -1 at the top
	deptChildren        [][]int32
	leaves              []int32 // department numbers of the leaves
	leafUsers           [][]int32
	roleIncludes        [][]int32 // role number -> role numbers it includes
	userDepts           [][]int32 // user -> leaf department numbers
	userRoles           [][]int32 // user -> role numbers
	entities            int
	entityParents       [][]int32 // entity code -> the folders it is filed in
	entityChildren      [][]int32 // folder's entity code -> what is filed in it
	folderTeam          []int32   // folder number -> the leaf department that owns its tree
	folderDepth         []int     // folder number -> 1 at the root
	// grantsOf[e] are the grant numbers on entity code e.
	grantsOf [][]int32
	grants   []grantRec
}

// grantRec is one grant in compact form.
type grantRec struct {
	entity  int32
	subject int32
	level   model.Level
	deny    bool
	// active reports whether the grant gives access at Epoch.
	active bool
}

func (c *compact) deptCode(d int32) int32 { return int32(c.users) + d }
func (c *compact) roleCode(r int32) int32 { return int32(c.users+c.depts) + r }
func (c *compact) isUser(code int32) bool { return code < int32(c.users) }
func (c *compact) isDept(code int32) bool {
	return code >= int32(c.users) && code < int32(c.users+c.depts)
}

// entityRef returns the entity of a code, an entity's or a folder's.
func (o *Org) entityRef(e int32) model.EntityRef {
	if int(e) < o.c.entities {
		return o.Entities[e]
	}
	return o.Folders[int(e)-o.c.entities]
}
