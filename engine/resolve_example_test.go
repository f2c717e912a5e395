package engine_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// exampleOrg opens an engine holding a small organisation: editors may write
// doc1, senior editors carry the editor role and carol is one; the rnd
// department (with eng nested in it, and dave in eng) may read doc1 and
// doc2.
func exampleOrg() (*engine.Engine, string) {
	ctx := context.Background()
	db, err := engine.Open(engine.WithEntityTypes("document"))
	if err != nil {
		panic(err)
	}
	const org = "org_acme"
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(db.AddMembers(ctx, org,
		model.Membership{Member: model.Role("senior_editor"), Group: model.Role("editor")},
		model.Membership{Member: model.User("carol"), Group: model.Role("senior_editor")},
		model.Membership{Member: model.Department("eng"), Group: model.Department("rnd")},
		model.Membership{Member: model.User("dave"), Group: model.Department("eng")},
	))
	for _, in := range []model.GrantInput{
		{Entity: model.EntityRef{Type: "document", ID: "doc1"}, Grantee: model.Role("editor"), Level: model.LevelWrite},
		{Entity: model.EntityRef{Type: "document", ID: "doc1"}, Grantee: model.Department("rnd"), Level: model.LevelRead},
		{Entity: model.EntityRef{Type: "document", ID: "doc2"}, Grantee: model.Department("rnd"), Level: model.LevelRead},
	} {
		_, err := db.CreateGrant(ctx, org, in)
		must(err)
	}
	return db, org
}

// because writes a path's chain as "carol → senior_editor → editor".
func because(p resolve.Path) string {
	ids := make([]string, len(p.Chain))
	for i, s := range p.Chain {
		ids[i] = s.ID
	}
	return strings.Join(ids, " → ")
}

func ExampleEngine_Check_throughMemberships() {
	db, org := exampleOrg()
	defer db.Close()
	doc1 := model.EntityRef{Type: "document", ID: "doc1"}
	for _, user := range []string{"carol", "dave", "mallory"} {
		ok, err := db.Check(context.Background(), org, user, doc1, model.LevelWrite)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s may write doc1: %v\n", user, ok)
	}
	// Output:
	// carol may write doc1: true
	// dave may write doc1: false
	// mallory may write doc1: false
}

func ExampleEngine_Resolve() {
	db, org := exampleOrg()
	defer db.Close()
	d, err := db.Resolve(context.Background(), org, "carol", model.EntityRef{Type: "document", ID: "doc1"})
	if err != nil {
		panic(err)
	}
	for _, p := range d.Via {
		fmt.Printf("carol can %s doc1 because %s, granted %s\n", d.Level, because(p), p.Grant.Level)
	}
	// Output: carol can write doc1 because carol → senior_editor → editor, granted write
}

func ExampleEngine_ResolvedAccess() {
	db, org := exampleOrg()
	defer db.Close()
	access, err := db.ResolvedAccess(context.Background(), org, "dave", resolve.Query{EntityType: "document"})
	if err != nil {
		panic(err)
	}
	for _, d := range access {
		fmt.Printf("%s: %s (%s)\n", d.Entity.ID, d.Level, because(d.Via[0]))
	}
	// Output:
	// doc1: read (dave → eng → rnd)
	// doc2: read (dave → eng → rnd)
}

func ExampleEngine_UsersWithAccess() {
	db, org := exampleOrg()
	defer db.Close()
	users, err := db.UsersWithAccess(context.Background(), org, model.EntityRef{Type: "document", ID: "doc1"}, model.LevelRead)
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Printf("%s: %s (%s)\n", u.User, u.Level, because(u.Via[0]))
	}
	// Output:
	// carol: write (carol → senior_editor → editor)
	// dave: read (dave → eng → rnd)
}

// ResolvedAccessPage lists what a user reaches a page at a time: the last
// entity of a page is where the next one starts.
func ExampleEngine_ResolvedAccessPage() {
	db, org := exampleOrg()
	defer db.Close()
	ctx := context.Background()
	after := model.EntityRef{}
	for {
		page, more, err := db.ResolvedAccessPage(ctx, org, "dave", resolve.Query{}, after, 1)
		if err != nil {
			panic(err)
		}
		for _, d := range page {
			fmt.Println(d.Entity.ID, d.Level, len(d.Via), "path(s)")
		}
		if !more {
			break
		}
		after = page[len(page)-1].Entity
	}
	// Output:
	// doc1 read 1 path(s)
	// doc2 read 1 path(s)
}

// UsersWithAccessPage lists who reaches an entity a page at a time.
func ExampleEngine_UsersWithAccessPage() {
	db, org := exampleOrg()
	defer db.Close()
	page, more, err := db.UsersWithAccessPage(context.Background(), org, model.EntityRef{Type: "document", ID: "doc1"}, model.LevelRead, "", 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(page[0].User, page[0].Level, more)
	page, more, _ = db.UsersWithAccessPage(context.Background(), org, model.EntityRef{Type: "document", ID: "doc1"}, model.LevelRead, page[0].User, 1)
	fmt.Println(page[0].User, page[0].Level, more)
	// Output:
	// carol write true
	// dave read false
}
