// Command quickstart builds a small organisation in an in-memory grantdb
// engine — nested departments, roles that carry other roles, a dozen grants
// loaded with one BulkCreate — then checks what each user may do, prints it
// as a table, and explains a few of the answers.
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
)

const org = "org_acme"

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	db, err := engine.Open(engine.WithEntityTypes("knowledge_slice", "vector_store", "assistant"))
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
	return nil
}

// explain prints why user has the level it has on e: each grant that gives
// it, with the chain of memberships that reaches the grant's grantee.
func explain(ctx context.Context, out io.Writer, db *engine.Engine, user string, e model.EntityRef) error {
	d, err := db.Resolve(ctx, org, user, e)
	if err != nil {
		return err
	}
	if len(d.Via) == 0 {
		fmt.Fprintf(out, "%s has no access to %s: no grant reaches them.\n", user, e.ID)
		return nil
	}
	for _, p := range d.Via {
		chain := make([]string, len(p.Chain))
		for i, s := range p.Chain {
			chain[i] = s.ID
		}
		fmt.Fprintf(out, "%s can %s %s because %s, granted %s.\n",
			user, d.Level, e.ID, strings.Join(chain, " → "), p.Grant.Level)
	}
	return nil
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
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := []string{"user"}
	for _, e := range entities {
		header = append(header, e.String())
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, user := range []string{"alice", "bob", "carol", "dave", "erin", "mallory"} {
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
