package disk

import (
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var codecTime = time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)

// codecChangeSet has a row of every kind, with every optional part both set
// and unset.
func codecChangeSet() store.ChangeSet {
	g1 := model.Grant{ID: "agrant_01", Org: "org_a", Entity: model.EntityRef{Type: "fleet", ID: "fl_1"},
		Grantee: model.User("usr_1"), Level: model.LevelRead, GrantedBy: "usr_admin",
		CreatedAt: codecTime, UpdatedAt: codecTime}
	g2 := g1
	g2.ID, g2.Grantee, g2.Level = "agrant_02", model.Role("role_1"), model.LevelAdmin
	g2.EffectiveFrom, g2.EffectiveTo = codecTime.Add(-time.Hour), codecTime.Add(time.Hour)
	g2.UpdatedAt = codecTime.Add(time.Minute)
	g3 := g2
	g3.ID, g3.Org, g3.GrantedBy = "agrant_03", "org_b", ""
	g3.CreatedAt, g3.UpdatedAt = time.Time{}, time.Time{}
	g4 := g1
	g4.EffectiveFrom = time.Unix(-1e10, 5).UTC() // before 1970
	deny := g1
	deny.ID, deny.Effect, deny.Level = "agrant_05", model.EffectDeny, model.LevelWrite
	renewed := g2
	renewed.ID = "agrant_06"
	denyRenewed := deny
	denyRenewed.ID, denyRenewed.Level = "agrant_07", model.LevelRead
	folder := func(id string) model.EntityRef { return model.EntityRef{Type: "folder", ID: id} }
	return store.ChangeSet{
		Revision: 42,
		Grants: []store.GrantChange{
			{Grant: &g1}, {Grant: &g2}, {Deleted: true, Grant: &g3}, {Grant: &g4}, {Deleted: true, Grant: &g1},
			{Grant: &deny}, {Deleted: true, Grant: &deny},
			{Grant: &renewed, Replaced: &g2}, {Grant: &denyRenewed, Replaced: &deny},
		},
		Links: []store.LinkChange{
			{Org: "org_a", Link: model.EntityLink{Child: model.EntityRef{Type: "fleet", ID: "fl_1"}, Parent: folder("f1")}},
			{Org: "org_a", Link: model.EntityLink{Child: folder("f1"), Parent: folder("f0")}},
			{Deleted: true, Org: "org_b", Link: model.EntityLink{Child: folder("f1"), Parent: folder("root")}},
		},
		Memberships: []store.MembershipChange{
			{Org: "org_a", Membership: model.Membership{Member: model.User("usr_1"), Group: model.Department("eng")}},
			{Org: "org_a", Membership: model.Membership{Member: model.Department("eng"), Group: model.Department("rnd")}},
			{Deleted: true, Org: "org_b", Membership: model.Membership{Member: model.Role("jr"), Group: model.Role("sr")}},
		},
		Jobs: []store.JobChange{
			{Job: &store.Job{Org: "org_a", ID: "job_1", Name: "n", Description: "d", RequestedBy: "usr_admin",
				Operation: model.JobOpReplaceAll, Status: model.JobInProgress, SubmitTime: codecTime, StartTime: codecTime,
				StepsSucceeded: 1, StepsFailed: 2, StepsProcessed: 3, TotalSteps: 9}},
			{Spec: &store.JobSpec{Org: "org_a", JobID: "job_1", Operation: model.JobOpReplaceAll, Mode: model.BulkUpsert, RequestedBy: "usr_admin",
				Grants: []model.GrantInput{{Entity: model.EntityRef{Type: "fleet", ID: "fl_9"}, Grantee: model.User("u"),
					Level: model.LevelWrite, GrantedBy: "x", EffectiveTo: codecTime},
					{Entity: model.EntityRef{Type: "fleet", ID: "fl_8"}, Grantee: model.User("v"), Level: model.LevelRead, Effect: model.EffectDeny}},
				ACL: []model.ACE{{Grantee: model.Role("r"), Level: model.LevelRead},
					{Grantee: model.User("u"), Level: model.LevelAdmin, Effect: model.EffectDeny}},
				Grantees:   []model.Subject{model.Department("d"), model.User("u")},
				EntityType: "fleet"}},
			{Step: &store.JobStep{Org: "org_a", JobID: "job_1", Index: 7, Resource: model.EntityRef{Type: "fleet", ID: "fl_9"},
				Status: model.JobFailed, StartTime: codecTime, EndTime: codecTime.Add(time.Second),
				Errors: []model.Error{{Code: model.CodeValidation, Message: "m", Field: model.FieldGranteeID}}}},
			{Job: &store.Job{Org: "org_a", ID: "job_2", Operation: model.JobOpRevoke, Status: model.JobNotStarted}},
		},
	}
}

func TestCodec_ChangeSetRoundTrip(t *testing.T) {
	cases := map[string]store.ChangeSet{
		"every kind of row": codecChangeSet(),
		"grants only":       {Revision: 1, Grants: codecChangeSet().Grants[:1]},
		"links only":        {Revision: 2, Links: codecChangeSet().Links},
		"jobs only":         {Revision: 1 << 40, Jobs: codecChangeSet().Jobs},
		"empty":             {Revision: 3},
	}
	for name, cs := range cases {
		for _, at := range []time.Time{codecTime, {}, time.Unix(-1e10, 5).UTC()} {
			t.Run(name, func(t *testing.T) {
				b := appendChangeSet(nil, &cs, at)
				got, gotAt, err := decodeChangeSet(b)
				require.NoError(t, err)
				assert.Equal(t, cs, got)
				assert.True(t, at.Equal(gotAt), "the commit time: %v, want %v", gotAt, at)
				assert.Equal(t, at.IsZero(), gotAt.IsZero())
			})
		}
	}
}

// asVersion2 rewrites a change set encoded with a commit time of the Unix
// epoch and a revision below 128 as format version 2 wrote it: no time.
func asVersion2(t *testing.T, b []byte) []byte {
	require.Equal(t, []byte{changeSetVersion}, b[:1])
	require.Equal(t, []byte{0, 0}, b[2:4], "an epoch commit time")
	return append([]byte{2, b[1]}, b[4:]...)
}

func TestCodec_Version2ChangeSetsAreReadByTheirRules(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	full := codecChangeSet()
	allow := store.ChangeSet{Revision: 9, Grants: full.Grants[:5], Memberships: full.Memberships}
	got, at, err := decodeChangeSet(asVersion2(t, appendChangeSet(nil, &allow, epoch)))
	require.NoError(t, err)
	assert.Equal(t, allow, got, "grants and memberships as version 2 wrote them")
	assert.True(t, at.IsZero(), "version 2 recorded no commit time")

	deny := store.ChangeSet{Revision: 9, Grants: full.Grants[5:6]}
	_, _, err = decodeChangeSet(asVersion2(t, appendChangeSet(nil, &deny, epoch)))
	assert.Error(t, err, "flags bit 7 is zero in version 2")

	links := store.ChangeSet{Revision: 9, Links: full.Links}
	_, _, err = decodeChangeSet(asVersion2(t, appendChangeSet(nil, &links, epoch)))
	assert.ErrorIs(t, err, errUnsupported, "version 2 has no links section")

	_, _, err = decodeChangeSet([]byte{1, 1, tagEnd})
	assert.ErrorIs(t, err, errUnsupported, "version 1")
}

func TestCodec_OnlyAReplacedGrantOfAnotherIDIsRecorded(t *testing.T) {
	g := codecChangeSet().Grants[0].Grant
	raised := *g
	raised.Level = model.LevelAdmin
	cs := store.ChangeSet{Revision: 1, Grants: []store.GrantChange{{Grant: &raised, Replaced: g}}}
	got, _, err := decodeChangeSet(appendChangeSet(nil, &cs, codecTime))
	require.NoError(t, err)
	require.Len(t, got.Grants, 1)
	assert.Nil(t, got.Grants[0].Replaced, "a row of the write's own id is not recorded")
	assert.Equal(t, &raised, got.Grants[0].Grant)
}

// encodeWithReplaced encodes grants and a replaced section of the given
// indexes and rows, which need not make sense.
func encodeWithReplaced(grants []store.GrantChange, at []int, rows []model.Grant) []byte {
	e := encoder{}
	e.byte(changeSetVersion)
	e.uvarint(1)
	e.instant(codecTime)
	if len(grants) > 0 {
		e.byte(tagGrants)
		e.uvarint(uint64(len(grants)))
		c := newGrantCoder()
		for _, gc := range grants {
			c.encode(&e, gc.Grant, gc.Deleted)
		}
	}
	e.byte(tagReplaced)
	e.uvarint(uint64(len(at)))
	for _, i := range at {
		e.uvarint(uint64(i))
	}
	c := newGrantCoder()
	for i := range rows {
		c.encode(&e, &rows[i], false)
	}
	e.byte(tagEnd)
	return e.b
}

func TestCodec_BadReplacedSectionsAreRefused(t *testing.T) {
	full := codecChangeSet().Grants
	old := *full[7].Replaced
	write, deleted := full[7], store.GrantChange{Deleted: true, Grant: full[6].Grant}
	otherKey := old
	otherKey.Entity.ID = "fl_other"
	otherEffect := old
	otherEffect.Effect = model.EffectDeny
	valid := encodeWithReplaced([]store.GrantChange{write}, []int{0}, []model.Grant{old})
	got, _, err := decodeChangeSet(valid)
	require.NoError(t, err, "the shape the cases below break")
	require.Equal(t, &old, got.Grants[0].Replaced)

	cases := map[string][]byte{
		"no grant section":     encodeWithReplaced(nil, []int{0}, []model.Grant{old}),
		"index out of range":   encodeWithReplaced([]store.GrantChange{write}, []int{1}, []model.Grant{old}),
		"index repeated":       encodeWithReplaced([]store.GrantChange{write, write}, []int{0, 0}, []model.Grant{old, old}),
		"indexes descending":   encodeWithReplaced([]store.GrantChange{write, write}, []int{1, 0}, []model.Grant{old, old}),
		"more than the grants": encodeWithReplaced([]store.GrantChange{write}, []int{0, 1}, []model.Grant{old, old}),
		"at a delete":          encodeWithReplaced([]store.GrantChange{deleted}, []int{0}, []model.Grant{old}),
		"the write's own id":   encodeWithReplaced([]store.GrantChange{write}, []int{0}, []model.Grant{*write.Grant}),
		"another key":          encodeWithReplaced([]store.GrantChange{write}, []int{0}, []model.Grant{otherKey}),
		"another effect":       encodeWithReplaced([]store.GrantChange{write}, []int{0}, []model.Grant{otherEffect}),
		"empty":                encodeWithReplaced([]store.GrantChange{write}, nil, nil),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeChangeSet(b)
			assert.Error(t, err)
		})
	}

	epoch := time.Unix(0, 0).UTC()
	cs := store.ChangeSet{Revision: 9, Grants: full[7:8]}
	_, _, err = decodeChangeSet(asVersion2(t, appendChangeSet(nil, &cs, epoch)))
	assert.ErrorIs(t, err, errUnsupported, "version 2 has no replaced section")
}

func TestCodec_GrantsAreCompact(t *testing.T) {
	cs := store.ChangeSet{Revision: 1}
	for i := range 100 {
		g := model.Grant{ID: "agrant_01kb2xq9m4" + string(rune('a'+i%26)) + "0000a1b2c3", Org: "org_xyz789",
			Entity:  model.EntityRef{Type: "knowledge_slice", ID: "kslice_abc" + string(rune('a'+i/10))},
			Grantee: model.User("usr_def" + string(rune('a'+i%10))), Level: model.LevelRead, GrantedBy: "usr_owner",
			CreatedAt: codecTime, UpdatedAt: codecTime}
		cs.Grants = append(cs.Grants, store.GrantChange{Grant: &g})
	}
	perGrant := float64(len(appendChangeSet(nil, &cs, codecTime))) / 100
	assert.Less(t, perGrant, 40.0, "bytes per grant")
}

func TestCodec_DecodeRefusesDamage(t *testing.T) {
	cs := codecChangeSet()
	good := appendChangeSet(nil, &cs, codecTime)
	for cut := range len(good) {
		_, _, err := decodeChangeSet(good[:cut])
		assert.Error(t, err, "cut at %d", cut)
	}
	_, _, err := decodeChangeSet(append(append([]byte{}, good...), 0))
	assert.Error(t, err, "a trailing byte")
	newer := append([]byte{}, good...)
	newer[0] = changeSetVersion + 1
	_, _, err = decodeChangeSet(newer)
	assert.ErrorIs(t, err, errUnsupported)
}

func TestCodec_SealedRecords(t *testing.T) {
	rec := sealRecord(nil, []byte("body"))
	body, err := openRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, "body", string(body))
	for i := range rec {
		bad := append([]byte{}, rec...)
		bad[i] ^= 0x10
		_, err := openRecord(bad)
		assert.ErrorIs(t, err, errChecksum, "byte %d flipped", i)
	}
}

func TestCodec_AOFCommands(t *testing.T) {
	b := appendSetCommand(nil, "j:1", []byte("v\r\n"))
	b = appendSetCommand(b, "k", nil)
	assert.Equal(t, setCommandSize(3, 3)+setCommandSize(1, 0), len(b))
	recs, end, tail := scanAOF(b)
	require.Len(t, recs, 2)
	assert.Equal(t, "v\r\n", string(recs[0].val))
	assert.Equal(t, len(b), end)
	assert.Equal(t, tailClean, tail)

	for cut := 1; cut < len(b); cut++ {
		_, _, tail := scanAOF(b[:cut])
		assert.Contains(t, []aofTail{tailClean, tailCrash}, tail, "cut at %d", cut)
	}
	_, _, tail = scanAOF(append(append([]byte{}, b...), make([]byte, 100)...))
	assert.Equal(t, tailCrash, tail)
	_, _, tail = scanAOF(append(append([]byte{}, b...), "*3\r\n$3\r\nget\r\n"...))
	assert.Equal(t, tailGarbage, tail)
	_, _, tail = scanAOF(append(make([]byte, 10), b...))
	assert.Equal(t, tailGarbage, tail, "zeros before records")
}

func FuzzDecodeChangeSet(f *testing.F) {
	cs := codecChangeSet()
	f.Add(appendChangeSet(nil, &cs, codecTime))
	f.Add([]byte{changeSetVersion, 1, 0, 0, tagGrants, 1})
	f.Add([]byte{2, 1, tagGrants, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, at, err := decodeChangeSet(b)
		if err != nil {
			return
		}
		again, againAt, err := decodeChangeSet(appendChangeSet(nil, &cs, at))
		require.NoError(t, err)
		assert.Equal(t, len(cs.Grants), len(again.Grants))
		assert.Equal(t, cs.Memberships, again.Memberships)
		assert.Equal(t, cs.Links, again.Links)
		assert.True(t, at.Equal(againAt))
	})
}

func FuzzScanAOF(f *testing.F) {
	f.Add(appendSetCommand(nil, "j:00000000000000000001", []byte("value")))
	f.Add([]byte("*3\r\n$3\r\nset\r\n$99999999999\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, end, _ := scanAOF(b)
		require.LessOrEqual(t, end, len(b))
		for _, r := range recs {
			require.LessOrEqual(t, r.end, end)
		}
	})
}
