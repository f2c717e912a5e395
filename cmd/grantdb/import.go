package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// parseOptions are the import flags a parser needs.
type parseOptions struct {
	org        string // for records that name none
	entityType string // Casbin objects not written type:id
}

var parsers = map[string]func(io.Reader, parseOptions) ([]record, error){
	"jsonl":   parseJSONLines,
	"csv":     parseCSV,
	"casbin":  parseCasbin,
	"openfga": parseOpenFGA,
}

var modes = map[string]bulk.Mode{
	"skip":           bulk.SkipDuplicates,
	"all-or-nothing": bulk.AllOrNothing,
	"upsert":         bulk.Upsert,
}

// batchSize bounds the grants (or memberships) of one commit. It is large on
// purpose: every commit republishes the organisation's derived index, so
// 10k-grant commits into a 1M-grant organisation cost several times one
// commit of it all, and an import has no readers to keep waiting.
const batchSize = 1_000_000

func newImportCommand() *cobra.Command {
	var format, mode string
	var entityTypes []string
	var opt parseOptions
	cmd := &cobra.Command{
		Use:   "import --data DIR [flags] FILE|-",
		Short: "Load grants, memberships and entity links from JSON Lines, CSV, a Casbin policy or OpenFGA tuples",
		Long: `import reads the whole file first and refuses it, naming the line, if any record
is malformed or invalid: then nothing is written. It then writes the records
(links, then memberships, then grants) through LinkEntities, AddMembers and
BulkCreate. A grant's effect is allow or deny (JSON Lines and CSV field
effect; a Casbin p line's last field, eft). While this build's disk format
does not store denies and links, a file holding one is refused.

--mode says what happens to a grant whose (entity, grantee, effect) already
has one:
skip leaves it, upsert gives it the file's level and window, all-or-nothing
refuses the file (checked against the database before anything is written).`,
		Args: cobra.ExactArgs(1),
	}
	dir := dataFlag(cmd)
	cmd.Flags().StringVar(&format, "format", "jsonl", "jsonl, csv, casbin or openfga")
	cmd.Flags().StringVar(&mode, "mode", "skip", "skip, all-or-nothing or upsert")
	cmd.Flags().StringVar(&opt.org, "org", "", "the organisation of records that name none (Casbin without domains, OpenFGA)")
	cmd.Flags().StringVar(&opt.entityType, "entity-type", "object", "the entity type of Casbin objects not written type:id")
	cmd.Flags().StringSliceVar(&entityTypes, "entity-types", nil, "refuse entity types other than these, as the service's engine.WithEntityTypes does (default: any well-formed type)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		parse, ok := parsers[format]
		if !ok {
			return fmt.Errorf("unknown --format %q: want jsonl, csv, casbin or openfga", format)
		}
		m, ok := modes[mode]
		if !ok {
			return fmt.Errorf("unknown --mode %q: want skip, all-or-nothing or upsert", mode)
		}
		in, closeIn, err := input(cmd, args[0])
		if err != nil {
			return err
		}
		defer closeIn()
		if os.Getenv("GOGC") == "" {
			// An import builds one large heap and exits: collect less
			// often (about a sixth less CPU for a quarter more memory).
			debug.SetGCPercent(400)
		}
		recs, err := parse(in, opt)
		in.done()
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		if err := validate(recs, entityTypes, time.Now().UTC()); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		return importRecords(cmd.Context(), *dir, entityTypes, recs, m, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return cmd
}

// input opens FILE, or stdin for -. Reading a file shows its progress (by
// bytes) on stderr.
func input(cmd *cobra.Command, name string) (*readProgress, func(), error) {
	if name == "-" {
		return &readProgress{r: cmd.InOrStdin()}, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	in := &readProgress{r: f}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		in.prog = newProgress(cmd.ErrOrStderr(), "read", "B", int(fi.Size()))
	}
	return in, func() { _ = f.Close() }, nil
}

// readProgress reports the bytes read through it.
type readProgress struct {
	r    io.Reader
	n    int
	prog progress
}

func (r *readProgress) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += n
	if r.prog != nil {
		r.prog.Set(r.n)
	}
	return n, err
}

// done ends the report.
func (r *readProgress) done() {
	if r.prog != nil {
		r.prog.Finish()
	}
}

// orgBatch is what one organisation gets from a file, in file order.
type orgBatch struct {
	org         string
	grants      []model.GrantInput
	grantLines  []int
	memberships []model.Membership
	links       []model.EntityLink
}

// byOrg splits records by organisation, in order of first appearance.
func byOrg(recs []record) []*orgBatch {
	var out []*orgBatch
	at := map[string]*orgBatch{}
	for _, r := range recs {
		b := at[r.org]
		if b == nil {
			b = &orgBatch{org: r.org}
			at[r.org] = b
			out = append(out, b)
		}
		switch r.kind {
		case kindGrant:
			b.grants = append(b.grants, r.grant)
			b.grantLines = append(b.grantLines, r.line)
		case kindMembership:
			b.memberships = append(b.memberships, *r.membership)
		case kindLink:
			b.links = append(b.links, *r.link)
		}
	}
	return out
}

// importTally counts what an import did.
type importTally struct {
	created, updated, skipped, failed int
	memberships, links                int
	// failures are the first refusals, with their lines.
	failures []string
}

// maxFailuresShown bounds the refusals an import prints.
const maxFailuresShown = 20

func importRecords(ctx context.Context, dir string, entityTypes []string, recs []record, mode bulk.Mode, stdout, stderr io.Writer) (err error) {
	batches := byOrg(recs)
	e, err := openForWrite(dir, entityTypes)
	if err != nil {
		return err
	}
	defer closeInto(e, &err)
	if mode == bulk.AllOrNothing {
		if err := refuseDuplicates(ctx, e, batches); err != nil {
			return err
		}
	}
	prog := newProgress(stderr, "import", "rec", len(recs))
	var t importTally
	done := 0
	// Links of every organisation first (see writeLinks).
	for _, b := range batches {
		if err := writeLinks(ctx, e, b, mode, func(n int) { prog.Set(done + n) }); err != nil {
			return err
		}
		t.links += len(b.links)
		done += len(b.links)
	}
	for _, b := range batches {
		if err := addMemberships(ctx, e, b, mode, func(n int) { prog.Set(done + n) }); err != nil {
			return err
		}
		t.memberships += len(b.memberships)
		done += len(b.memberships)
		if err := createGrants(ctx, e, b, mode, &t, func(n int) { prog.Set(done + n) }); err != nil {
			return err
		}
		done += len(b.grants)
	}
	prog.Set(done)
	prog.Finish()
	fmt.Fprintf(stdout, "imported %d records into %d organisation(s): grants created %d, updated %d, skipped %d, failed %d; memberships %d; links %d\n",
		len(recs), len(batches), t.created, t.updated, t.skipped, t.failed, t.memberships, t.links)
	for _, f := range t.failures {
		fmt.Fprintln(stderr, f)
	}
	if t.failed > 0 {
		return exitStatus{exitError}
	}
	return nil
}

// addMemberships adds b's memberships, in commits of batchSize, or in one
// under AllOrNothing.
func addMemberships(ctx context.Context, e *engine.Engine, b *orgBatch, mode bulk.Mode, progress func(int)) error {
	size := batchSize
	if mode == bulk.AllOrNothing {
		size = len(b.memberships)
	}
	for i := 0; i < len(b.memberships); i += size {
		chunk := b.memberships[i:min(i+size, len(b.memberships))]
		if err := e.AddMembers(ctx, b.org, chunk...); err != nil {
			return fmt.Errorf("organisation %s: memberships: %w", b.org, err)
		}
		progress(i + len(chunk))
	}
	return nil
}

// createGrants creates b's grants through BulkCreate, in commits of
// batchSize, or in one under AllOrNothing.
func createGrants(ctx context.Context, e *engine.Engine, b *orgBatch, mode bulk.Mode, t *importTally, progress func(int)) error {
	size := batchSize
	if mode == bulk.AllOrNothing {
		size = len(b.grants)
	}
	for i := 0; i < len(b.grants); i += size {
		chunk := b.grants[i:min(i+size, len(b.grants))]
		res, err := e.BulkCreate(ctx, b.org, chunk, bulk.Options{Mode: mode, Progress: func(done, _ int) { progress(i + done) }})
		if err != nil {
			return fmt.Errorf("organisation %s: grants: %w", b.org, err)
		}
		for _, it := range res.Items {
			switch it.Status {
			case bulk.StatusCreated:
				t.created++
			case bulk.StatusUpdated:
				t.updated++
			case bulk.StatusSkipped:
				t.skipped++
			case bulk.StatusFailed:
				t.failed++
				if len(t.failures) < maxFailuresShown {
					t.failures = append(t.failures, fmt.Sprintf("line %d: %v", b.grantLines[i+it.Index], it.Err))
				}
			}
		}
		if !res.Committed {
			return fmt.Errorf("organisation %s: the batch was refused and nothing of it written: %s", b.org, strings.Join(t.failures, "; "))
		}
	}
	return nil
}
