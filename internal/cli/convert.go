package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
)

const convertLong = `Re-render a JSON document cradle wrote earlier — a scan report, fix plan,
drift report, run list, change log listing, a file of watch events, a
rule list or version — in another format, without scanning again. The
document's "kind" says what it is (scan reports and fix plans saved
before documents had a kind are recognised too); the formats are those of
the command that wrote it:
  scan_report     table, json, sarif, junit, html, xccdf, arf
  fim_report      table, json, sarif, junit, html
  any other kind  table, json

A scan or fim report converted to sarif, junit or html is byte for byte
what "cradle scan --format ..." or "cradle fim ... --format ..." printed.

The file ("-" reads standard input) must be a regular file of at most
256 MiB; JSON errors are reported with line and column.

Exit codes: 0 converted; 2 usage error, unreadable or malformed input, or
a format the document's kind does not have; 1 internal error.`

type convertFlags struct {
	format, output   string
	verbose, noColor bool
	noDiff           bool
}

func newConvertCmd(env *Env) *cobra.Command {
	f := &convertFlags{}
	cmd := &cobra.Command{
		Use:   "convert FILE|- [--format table|json|sarif|junit|html] [-o FILE]",
		Short: "Re-render a saved JSON result in another format",
		Long:  convertLong,
		Example: `  cradle scan --format json -o scan.json
  cradle convert scan.json --format sarif -o scan.sarif
  cradle convert scan.json --format html -o scan.html
  cradle convert fim.json --format junit -o fim.xml
  cradle convert plan.json
  cradle scan --format json | cradle convert - --format html -o scan.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runConvert(env, f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "table", "output format (the document kind's: table, json, sarif, junit, html)")
	fl.StringVarP(&f.output, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "scan table: list passing and not applicable rules too")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table output")
	fl.BoolVar(&f.noDiff, "no-diff", false, "fix plan table: do not show file diffs")
	return cmd
}

func runConvert(env *Env, f *convertFlags, path string) error {
	reg := output.Default()
	var spec *output.Spec
	var doc any
	var err error
	if path == "-" {
		spec, doc, err = reg.Read("stdin", env.Stdin)
	} else {
		spec, doc, err = reg.ReadFile(path)
	}
	if err != nil {
		return err
	}
	sink, err := reg.Open(spec.Kind, f.format, f.output, env.Stdout)
	if err != nil {
		return err
	}
	return sink.Write(doc, output.Options{Color: useColor(env, sink, f.noColor), Verbose: f.verbose, NoDiff: f.noDiff})
}

// useColor: ANSI colour only on a terminal, never into a file, and not
// with --no-color or $NO_COLOR.
func useColor(env *Env, sink *output.Sink, noColor bool) bool {
	return !sink.ToFile() && !noColor && env.tty(env.Stdout) && env.getenv("NO_COLOR") == ""
}
