package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
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
other builds report what the Go toolchain recorded.

Exit codes: 0 printed; 2 usage error.`,
		Example: `  cradle version
  cradle version --format json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sink, err := output.Default().Open(output.KindVersion, format, "", env.Stdout)
			if err != nil {
				return err
			}
			doc := version.Get().Document()
			return sink.Write(&doc, output.Options{})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}
