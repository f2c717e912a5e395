package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
)

// dataFlag registers --data on cmd and returns where its value lands.
func dataFlag(cmd *cobra.Command) *string {
	dir := cmd.Flags().String("data", "", "the database directory (required)")
	_ = cmd.MarkFlagRequired("data")
	return dir
}

// openForWrite opens dir for a command that writes (import), creating it
// when missing, as the embedding service would, allowing only entityTypes
// when given.
func openForWrite(dir string, entityTypes []string) (*engine.Engine, error) {
	return open(dir, engine.WithEntityTypes(entityTypes...))
}

// openForRead opens an existing database directory for a command that only
// reads. The engine has no read-only mode: the directory is opened as Open
// always opens it (a crash tail is cut, jobs cut off resume until Close), but
// the expiry sweeper is off, so a read command commits nothing of its own.
// A directory a running service holds is refused (engine.ErrLocked): read a
// snapshot of it instead.
func openForRead(dir string) (*engine.Engine, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: the directory does not exist", dir)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("no database at %s: it is not a directory", dir)
	}
	files, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(files, func(f dirFile) bool { return f.Kind == "snapshot" || f.Kind == "journal" }) {
		// Open would make an empty directory a database: a read must not.
		return nil, fmt.Errorf("no database at %s: it holds no snapshot or journal", dir)
	}
	return open(dir)
}

func open(dir string, opts ...engine.Option) (*engine.Engine, error) {
	e, err := engine.Open(append([]engine.Option{engine.WithPath(dir), engine.WithSweepInterval(0)}, opts...)...)
	if errors.Is(err, engine.ErrLocked) {
		return nil, fmt.Errorf("%s is locked: a process (the service?) has it open. "+
			"Stop it, or run this on a copy made with its Snapshot: %w", dir, err)
	}
	return e, err
}

// closeInto closes e, keeping the first error in *err.
func closeInto(e *engine.Engine, err *error) {
	if cerr := e.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// pickOrg returns org, or when it is empty the database's only organisation;
// with none or several, the caller must say which.
func pickOrg(ctx context.Context, e *engine.Engine, org string) (string, error) {
	if org != "" {
		return org, nil
	}
	orgs, err := e.Organizations(ctx)
	if err != nil {
		return "", err
	}
	switch len(orgs) {
	case 1:
		return orgs[0], nil
	case 0:
		return "", errors.New("the database holds no organisation: nothing to ask")
	default:
		shown := orgs
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		return "", fmt.Errorf("the database holds %d organisations (%s): say which with --org", len(orgs), strings.Join(shown, ", "))
	}
}
