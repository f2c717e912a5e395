package gen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

func TestSizeNames(t *testing.T) {
	for _, s := range []gen.Size{gen.Small, gen.Medium, gen.Large} {
		got, err := gen.ParseSize(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := gen.ParseSize("huge")
	assert.Error(t, err)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := gen.Generate(7, gen.Small), gen.Generate(7, gen.Small)
	assert.Equal(t, a.Users, b.Users)
	assert.Equal(t, a.Departments, b.Departments)
	assert.Equal(t, a.Roles, b.Roles)
	assert.Equal(t, a.Entities, b.Entities)
	assert.Equal(t, a.Memberships, b.Memberships)
	assert.Equal(t, a.Grants, b.Grants)
	assert.Equal(t, a.Queries(500), b.Queries(500))
	ua, ra := a.UserWithReach(50)
	ub, rb := b.UserWithReach(50)
	assert.Equal(t, ua, ub)
	assert.Equal(t, ra, rb)

	assert.Equal(t, a.Folders, b.Folders)
	assert.Equal(t, a.Links, b.Links)

	c := gen.Generate(8, gen.Small)
	assert.NotEqual(t, a.Links, c.Links)
	assert.NotEqual(t, a.Grants, c.Grants)
	assert.NotEqual(t, a.Memberships, c.Memberships)
	assert.NotEqual(t, a.Queries(500), c.Queries(500))
}

// shapes are the organisations the structural tests run on: the small
// preset and custom shapes at the edges of Config.
var shapes = []struct {
	name string
	cfg  gen.Config
}{
	{"small", gen.Small.Config()},
	{"defaults", gen.Config{Seed: 3}},
	{"flat", gen.Config{Seed: 4, Users: 300, Entities: 200, DeptDepth: 1, DeptFanout: 6, Roles: 1}},
	{"deep", gen.Config{Seed: 5, Users: 300, Entities: 200, DeptDepth: 7, DeptFanout: 2, Roles: 50, GrantsPerEntity: 4}},
	{"custom", gen.Config{Seed: 6, Org: "acme", Users: 500, Entities: 300, EntityTypes: []string{"doc", "sheet"},
		Mix: gen.GranteeMix{User: 1}, WindowShare: -1, ExternalShare: -1}},
	{"small flat", gen.Small.Config().Flat()},
	{"all filed, many denies", gen.Config{Seed: 7, Users: 400, Entities: 400, FiledShare: 1, DenyShare: 0.1}},
}

func TestGeneratedDataIsValid(t *testing.T) {
	for _, tc := range shapes {
		t.Run(tc.name, func(t *testing.T) {
			o := gen.New(tc.cfg)
			cfg := o.Config
			val, err := model.NewValidator(append(cfg.EntityTypes, gen.FolderType)...)
			require.NoError(t, err)
			require.NoError(t, val.Org(o.ID))
			assert.Len(t, o.Users, cfg.Users)
			assert.Len(t, o.Roles, cfg.Roles)
			assert.Len(t, o.Entities, cfg.Entities)
			assert.True(t, o.LoadTime.Before(o.Epoch))

			depts := map[string]gen.Department{}
			for _, d := range o.Departments {
				require.NoError(t, model.ID(model.FieldGroupID, d.ID))
				if d.Parent != "" {
					parent, ok := depts[d.Parent]
					require.True(t, ok, "parent %s listed after %s", d.Parent, d.ID)
					assert.Equal(t, parent.Depth+1, d.Depth)
				} else {
					assert.Equal(t, 1, d.Depth)
				}
				depts[d.ID] = d
			}

			seenMembership := map[model.Membership]bool{}
			for _, m := range o.Memberships {
				require.NoError(t, val.Membership(m))
				assert.False(t, seenMembership[m], "membership %v repeated", m)
				seenMembership[m] = true
				if m.Member.Type == model.SubjectUser && m.Group.Type == model.SubjectDepartment {
					assert.Equal(t, cfg.DeptDepth, depts[m.Group.ID].Depth, "users join leaf departments")
				}
			}
			assertAcyclic(t, o.Memberships)

			wantGrants := cfg.Entities * cfg.GrantsPerEntity
			assert.InDelta(t, wantGrants, len(o.Grants), 0.1*float64(wantGrants))
			seenKey := map[[3]string]bool{}
			for _, g := range o.Grants {
				require.NoError(t, val.Grant(g, o.LoadTime), "every grant can be written at LoadTime")
				key := [3]string{g.Entity.String(), g.Grantee.String(), g.Effect.String()}
				assert.False(t, seenKey[key], "grant %v repeated", key)
				seenKey[key] = true
			}
			assertLinksAreTrees(t, o, val)
		})
	}
}

// assertLinksAreTrees checks the links: valid, none repeated, folders in
// folders and entities in leaf folders, trees three or four folders deep,
// no cycle, and every folder and linked entity one the Org lists.
func assertLinksAreTrees(t *testing.T, o *gen.Org, val *model.Validator) {
	t.Helper()
	known := map[model.EntityRef]bool{}
	for _, e := range o.Entities {
		known[e] = true
	}
	for _, f := range o.Folders {
		assert.Equal(t, gen.FolderType, f.Type)
		known[f] = true
	}
	parents := map[model.EntityRef][]model.EntityRef{}
	hasChildFolder := map[model.EntityRef]bool{}
	seen := map[model.EntityLink]bool{}
	for _, l := range o.Links {
		require.NoError(t, val.EntityLink(l))
		assert.False(t, seen[l], "link %v repeated", l)
		seen[l] = true
		assert.True(t, known[l.Child] && known[l.Parent], "link %v names what the Org lists", l)
		assert.Equal(t, gen.FolderType, l.Parent.Type, "only folders hold things")
		if l.Child.Type == gen.FolderType {
			assert.Empty(t, parents[l.Child], "a folder has one parent")
			hasChildFolder[l.Parent] = true
		}
		parents[l.Child] = append(parents[l.Child], l.Parent)
	}
	height := func(f model.EntityRef) int {
		n := 1
		for ; len(parents[f]) > 0; n++ {
			require.Less(t, n, 10, "a cycle above %v", f)
			f = parents[f][0]
		}
		return n
	}
	for _, l := range o.Links {
		if l.Child.Type != gen.FolderType {
			assert.False(t, hasChildFolder[l.Parent], "entities are filed in leaf folders")
			assert.Contains(t, []int{3, 4}, height(l.Parent), "folders are 3 or 4 deep")
			assert.LessOrEqual(t, len(parents[l.Child]), 2)
		}
	}
}

// assertAcyclic checks that no membership chain leads back to where it
// started.
func assertAcyclic(t *testing.T, ms []model.Membership) {
	t.Helper()
	up := map[model.Subject][]model.Subject{}
	for _, m := range ms {
		up[m.Member] = append(up[m.Member], m.Group)
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[model.Subject]int{}
	var visit func(s model.Subject) bool
	visit = func(s model.Subject) bool {
		switch state[s] {
		case visiting:
			return false
		case done:
			return true
		}
		state[s] = visiting
		for _, g := range up[s] {
			if !visit(g) {
				return false
			}
		}
		state[s] = done
		return true
	}
	for s := range up {
		require.True(t, visit(s), "a membership cycle passes through %v", s)
	}
}

func TestSmallHasARealisticMix(t *testing.T) {
	o := gen.Generate(1, gen.Small)
	kinds := map[model.SubjectType]int{}
	levels := map[model.Level]int{}
	var active, ended, notStarted, windowed int
	for _, g := range o.Grants {
		kinds[g.Grantee.Type]++
		levels[g.Level]++
		if g.EffectiveFrom.IsZero() && g.EffectiveTo.IsZero() {
			continue
		}
		windowed++
		grant := model.Grant{EffectiveFrom: g.EffectiveFrom, EffectiveTo: g.EffectiveTo}
		switch {
		case grant.EndedAt(o.Epoch):
			ended++
		case grant.ActiveAt(o.Epoch):
			active++
		default:
			notStarted++
		}
	}
	n := float64(len(o.Grants))
	for _, k := range []model.SubjectType{model.SubjectUser, model.SubjectDepartment, model.SubjectRole} {
		assert.Greater(t, float64(kinds[k]), 0.05*n, "grants to %s", k)
	}
	for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
		assert.Greater(t, float64(levels[l]), 0.05*n, "grants at %s", l)
	}
	assert.Greater(t, levels[model.LevelRead], levels[model.LevelAdmin], "read is commoner than admin")
	assert.InDelta(t, 0.1*n, windowed, 0.03*n, "about 10% of grants have a window")
	assert.Greater(t, active, ended+notStarted, "most windows are active at Epoch")
	assert.Positive(t, ended)
	assert.Positive(t, notStarted)

	perUser := map[string]int{}
	for _, m := range o.Memberships {
		if m.Member.Type == model.SubjectUser {
			perUser[m.Member.ID]++
		}
	}
	total := 0
	for _, c := range perUser {
		total += c
	}
	assert.InDelta(t, 6, float64(total)/float64(len(o.Users)), 1, "about 6 memberships per user")
}

// TestSizesHaveFoldersAndDenies checks the share of denies, the folders and
// the links in every preset (large skipped with -short and under -race),
// and that Flat turns both off while keeping the rest of the organisation.
func TestSizesHaveFoldersAndDenies(t *testing.T) {
	for _, size := range []gen.Size{gen.Small, gen.Medium, gen.Large} {
		t.Run(size.String(), func(t *testing.T) {
			if size == gen.Large && (testing.Short() || raceEnabled) {
				t.Skip("generates 1M grants twice; skipped with -short and under -race")
			}
			cfg := size.Config()
			cfg.Seed = 1
			o, flat := gen.New(cfg), gen.New(cfg.Flat())
			denies := 0
			for _, g := range o.Grants {
				if g.Effect == model.EffectDeny {
					denies++
				}
			}
			n := float64(len(o.Grants))
			assert.InDelta(t, 0.03*n, denies, 0.015*n, "about 3%% denies")
			assert.InDelta(t, len(flat.Grants), len(o.Grants), 0.05*float64(len(flat.Grants)), "about as many grants as the flat model")
			filed, leaves := map[model.EntityRef]bool{}, map[model.EntityRef]bool{}
			for _, l := range o.Links {
				if l.Child.Type != gen.FolderType {
					filed[l.Child], leaves[l.Parent] = true, true
				}
			}
			assert.InDelta(t, 0.9*float64(len(o.Entities)), len(filed), 0.05*float64(len(o.Entities)), "about 90%% filed")
			assert.InDelta(t, len(filed)/10, len(leaves), 0.3*float64(len(filed))/10, "a leaf folder per ~10 filed entities")
			assert.Less(t, len(o.Folders), 3*len(leaves), "and the folders above them")

			assert.Empty(t, flat.Folders)
			assert.Empty(t, flat.Links)
			for _, g := range flat.Grants {
				require.Equal(t, model.EffectAllow, g.Effect)
			}
			assert.Equal(t, o.Memberships, flat.Memberships)
			assert.Equal(t, o.Entities, flat.Entities)
		})
	}
}
