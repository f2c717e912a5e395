// Command quickstart builds a small organisation in an in-memory grantdb
// engine — nested departments, roles that carry other roles, a dozen grants
// loaded with one BulkCreate — then checks what each user may do, prints it
// as a table, and explains a few of the answers. Then a folder holding two
// documents, grants on the folder and a deny on one document show
// inheritance and deny, each answer explained.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

const org = "org_acme"

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	db, err := engine.Open(engine.WithEntityTypes("knowledge_slice", "vector_store", "assistant", "folder", "document"))
	if err != nil {
		return err
	}
	defer db.Close()

	if err := db.AddMembers(ctx, org, organisation()...); err != nil {
		return fmt.Errorf("memberships: %w", err)
	}
	// One transaction for the whole load: all of it or none of it.
	res, err := db.BulkCreate(ctx, org, grants(), bulk.Options{Mode: bulk.AllOrNothing})
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if !res.Committed {
		return fmt.Errorf("bulk load refused (HTTP %d): %+v", res.HTTPStatus(), res.Summary)
	}
	fmt.Fprintf(out, "Organisation %s: %d memberships; bulk load of %d grants: %d created, %d skipped, %d failed (HTTP %d).\n\n",
		org, len(organisation()), res.Summary.Total, res.Summary.Succeeded, res.Summary.Skipped, res.Summary.Failed, res.HTTPStatus())
	if err := printAccessTable(ctx, out, db); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, q := range []struct {
		user   string
		entity model.EntityRef
	}{{"carol", entities[0]}, {"dave", entities[1]}, {"mallory", entities[0]}} {
		if err := explain(ctx, out, db, q.user, q.entity); err != nil {
			return err
		}
	}
	fmt.Fprintln(out)
	return folders(ctx, out, db)
}

// The folder of the second part, and the documents it holds.
var (
	policies    = model.EntityRef{Type: "folder", ID: "policies"}
	leavePolicy = model.EntityRef{Type: "document", ID: "leave_policy"}
	salaries    = model.EntityRef{Type: "document", ID: "salaries"}
)

// folders puts two documents in the policies folder, lets R&D read the
// folder and editors write it, and denies carol write on salaries: grants
// on the folder reach its documents, and the deny takes write (and admin)
// away from carol on salaries whatever allows it.
func folders(ctx context.Context, out io.Writer, db *engine.Engine) error {
	err := db.LinkEntities(ctx, org,
		model.EntityLink{Child: leavePolicy, Parent: policies},
		model.EntityLink{Child: salaries, Parent: policies},
	)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	for _, in := range []model.GrantInput{
		{Entity: policies, Grantee: model.Department("rnd"), Level: model.LevelRead, GrantedBy: "usr_owner"},
		{Entity: policies, Grantee: model.Role("editor"), Level: model.LevelWrite, GrantedBy: "usr_owner"},
		{Entity: salaries, Grantee: model.User("carol"), Level: model.LevelWrite, Effect: model.EffectDeny, GrantedBy: "usr_owner"},
	} {
		if _, err := db.CreateGrant(ctx, org, in); err != nil {
			return fmt.Errorf("folder grants: %w", err)
		}
	}
	fmt.Fprintln(out, "Folder policies holds leave_policy and salaries; R&D reads the folder, editors write it, carol is denied write on salaries.")
	docs := []model.EntityRef{policies, leavePolicy, salaries}
	if err := printTable(ctx, out, db, []string{"carol", "dave", "mallory"}, docs); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, q := range []struct {
		user   string
		entity model.EntityRef
	}{{"carol", leavePolicy}, {"carol", salaries}, {"dave", salaries}} {
		if err := explain(ctx, out, db, q.user, q.entity); err != nil {
			return err
		}
	}
	return nil
}

// explain prints why user has the level it has on e: each grant that gives
// it, with the chain of memberships that reaches the grant's grantee and,
// for a grant on an entity above e, the chain of entities from e up to it
// (Path.Entities); then each deny that took a level away (Decision.Denied).
func explain(ctx context.Context, out io.Writer, db *engine.Engine, user string, e model.EntityRef) error {
	d, err := db.Resolve(ctx, org, user, e)
	if err != nil {
		return err
	}
	if len(d.Via) == 0 && len(d.Denied) == 0 {
		fmt.Fprintf(out, "%s has no access to %s: no grant reaches them.\n", user, e.ID)
		return nil
	}
	for _, p := range d.Via {
		granted := p.Grant.Level.String()
		if len(p.Entities) > 1 {
			granted += " on " + p.Grant.Entity.ID + entityChain(p)
		}
		fmt.Fprintf(out, "%s can %s %s because %s, granted %s.\n",
			user, d.Level, e.ID, subjectChain(p.Chain), granted)
	}
	for _, p := range d.Denied {
		fmt.Fprintf(out, "  but %s is denied %s on %s%s: a deny takes its level and every level above it.\n",
			subjectChain(p.Chain), p.Grant.Level, p.Grant.Entity.ID, entityChain(p))
	}
	return nil
}

// subjectChain writes a chain of subjects: the user, then each group up to
// the grantee.
func subjectChain(chain []model.Subject) string {
	ids := make([]string, len(chain))
	for i, s := range chain {
		ids[i] = s.ID
	}
	return strings.Join(ids, " → ")
}

// entityChain writes the chain of entities from the asked one up to the
// one the grant is on, " (doc in folder)"; "" for a grant on the asked
// entity itself.
func entityChain(p resolve.Path) string {
	if len(p.Entities) < 2 {
		return ""
	}
	ids := make([]string, len(p.Entities))
	for i, e := range p.Entities {
		ids[i] = e.ID
	}
	return " (" + strings.Join(ids, " in ") + ")"
}

// organisation: engineering sits inside R&D; senior editors carry the editor
// role; carol is a senior editor, dave an engineer, erin in R&D, bob a viewer.
func organisation() []model.Membership {
	return []model.Membership{
		{Member: model.Department("engineering"), Group: model.Department("rnd")},
		{Member: model.Role("senior_editor"), Group: model.Role("editor")},
		{Member: model.User("carol"), Group: model.Role("senior_editor")},
		{Member: model.User("dave"), Group: model.Department("engineering")},
		{Member: model.User("erin"), Group: model.Department("rnd")},
		{Member: model.User("bob"), Group: model.Role("viewer")},
	}
}

var entities = []model.EntityRef{
	{Type: "knowledge_slice", ID: "handbook"},
	{Type: "knowledge_slice", ID: "roadmap"},
	{Type: "vector_store", ID: "support_kb"},
	{Type: "assistant", ID: "helpdesk"},
}

func grants() []model.GrantInput {
	g := func(e model.EntityRef, s model.Subject, l model.Level) model.GrantInput {
		return model.GrantInput{Entity: e, Grantee: s, Level: l, GrantedBy: "usr_owner"}
	}
	handbook, roadmap, kb, helpdesk := entities[0], entities[1], entities[2], entities[3]
	return []model.GrantInput{
		g(handbook, model.Role("viewer"), model.LevelRead),
		g(handbook, model.Role("editor"), model.LevelWrite),
		g(handbook, model.Department("rnd"), model.LevelRead),
		g(handbook, model.User("alice"), model.LevelAdmin),
		g(roadmap, model.Department("rnd"), model.LevelRead),
		g(roadmap, model.Department("engineering"), model.LevelWrite),
		g(roadmap, model.User("alice"), model.LevelAdmin),
		g(kb, model.Role("editor"), model.LevelWrite),
		g(kb, model.Department("engineering"), model.LevelRead),
		g(kb, model.User("bob"), model.LevelRead),
		g(helpdesk, model.Role("senior_editor"), model.LevelAdmin),
		g(helpdesk, model.Department("rnd"), model.LevelRead),
	}
}

// printAccessTable prints, for each user and entity, the highest level Check
// allows.
func printAccessTable(ctx context.Context, out io.Writer, db *engine.Engine) error {
	return printTable(ctx, out, db, []string{"alice", "bob", "carol", "dave", "erin", "mallory"}, entities)
}

// printTable prints, for each of users and entities, the highest level
// Check allows.
func printTable(ctx context.Context, out io.Writer, db *engine.Engine, users []string, entities []model.EntityRef) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := []string{"user"}
	for _, e := range entities {
		header = append(header, e.String())
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, user := range users {
		row := []string{user}
		for _, e := range entities {
			level, err := highestLevel(ctx, db, user, e)
			if err != nil {
				return err
			}
			row = append(row, level.String())
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func highestLevel(ctx context.Context, db *engine.Engine, user string, e model.EntityRef) (model.Level, error) {
	best := model.LevelNone
	for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
		ok, err := db.Check(ctx, org, user, e, l)
		if err != nil {
			return best, err
		}
		if ok {
			best = l
		}
	}
	return best, nil
}
