package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newSnapshotCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot --data DIR DEST",
		Short: "Write a point-in-time copy of the database into DEST (missing or empty), which Open reads",
		Args:  cobra.ExactArgs(1),
	}
	dir := dataFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) (err error) {
		e, err := openForRead(*dir)
		if err != nil {
			return err
		}
		defer closeInto(e, &err)
		if err := e.Snapshot(cmd.Context(), args[0]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "snapshot of %s written to %s\n", *dir, args[0])
		return err
	}
	return cmd
}
