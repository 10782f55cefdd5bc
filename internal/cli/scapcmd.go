package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
)

const scapInfoLong = `List the benchmarks of SCAP content — a SCAP 1.2/1.3 source data stream
(such as SCAP Security Guide's ssg-debian12-ds.xml) or a plain XCCDF 1.2
benchmark — with their profiles and how many rules each profile selects.
The profile ids are what cradle scan --scap FILE --profile ID takes.

The content is read with bounds on size, depth and work; DTD entity
declarations are refused, and nothing is fetched (docs/scap.md).

Exit codes: 0 listed; 2 the file is unreadable or not SCAP content;
1 internal error.`

func newSCAPCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scap",
		Short: "Inspect SCAP content (XCCDF benchmarks and data streams)",
		Long:  "Inspect SCAP content; evaluate it with cradle scan --scap FILE --profile ID.",
		Args:  cobra.NoArgs,
	}
	var of outputFlags
	info := &cobra.Command{
		Use:     "info FILE",
		Short:   "List the benchmarks, profiles and rule counts of SCAP content",
		Long:    scapInfoLong,
		Example: `  cradle scap info /usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().SCAPInfo(args[0])
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(info, output.KindSCAPInfo, false)
	cmd.AddCommand(info)
	return cmd
}
