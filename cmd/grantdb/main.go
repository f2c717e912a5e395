// Command grantdb looks at and loads a grantdb database directory without
// writing Go: import and export grants, memberships and entity links, ask
// why a user may do something, print what a directory holds, copy it, check
// it opens, and print or follow its change feed.
//
// Every command takes the directory with --data DIR. See README.md for a
// walk through a terminal session, and `grantdb help COMMAND` for each
// command's flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit statuses. check uses exitDenied for "not allowed"; every other command
// exits exitOK or exitError.
const (
	exitOK     = 0
	exitDenied = 1
	exitError  = 2
)

// exitStatus carries a status other than exitError out of a command without
// printing anything more (check's "denied", verify's "not clean").
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args and returns the process's exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var st exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return st.code
	default:
		fmt.Fprintln(stderr, "grantdb:", err)
		return exitError
	}
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "grantdb",
		Short: "Inspect, load and check a grantdb database directory",
		Long: `grantdb works on the database directory of a service that embeds grantdb
(the directory given to engine.WithPath). Every command takes it with --data DIR.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newImportCommand(),
		newExportCommand(),
		newCheckCommand(),
		newExplainCommand(),
		newWhoCommand(),
		newWhatCommand(),
		newStatsCommand(),
		newSnapshotCommand(),
		newVerifyCommand(),
		newChangesCommand(),
		newWatchCommand(),
	)
	return root
}
