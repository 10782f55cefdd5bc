package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/version"
)

func newVersionCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and build platform of this binary",
		Long: `Print which build of cradle this is: its version, the VCS revision and
commit time it was built from (and whether the tree was modified), the Go
version that built it and its platform. Release builds stamp these values;
other builds report what the Go toolchain recorded.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := version.Get()
			switch format {
			case "table":
				return writeVersion(env.Stdout, in)
			case "json":
				return writeVersionJSON(env.Stdout, in)
			default:
				return usageErr("unknown format %q (want table or json)", format)
			}
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}

func writeVersion(w io.Writer, in version.Info) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rev := in.Revision
	if rev == "" {
		rev = "unknown"
	}
	if in.Modified {
		rev += " (modified)"
	}
	when := in.Time
	if when == "" {
		when = "unknown"
	}
	fmt.Fprintf(tw, "version:\t%s\n", in.Version)
	fmt.Fprintf(tw, "revision:\t%s\n", rev)
	fmt.Fprintf(tw, "time:\t%s\n", when)
	fmt.Fprintf(tw, "go:\t%s\n", in.GoVersion)
	fmt.Fprintf(tw, "platform:\t%s/%s\n", in.OS, in.Arch)
	return tw.Flush()
}

func writeVersionJSON(w io.Writer, in version.Info) error {
	b, err := json.MarshalIndent(in.Document(), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
