package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

const vulnImportLong = `Build or update the local vulnerability database from files already on
this machine; nothing is downloaded. Each SOURCE is one of:

  DIR          a directory of OSV JSON records (searched recursively), e.g.
               the data/osv folder of the Go vulnerability database
  FILE.zip     an osv.dev per-ecosystem export (all.zip)
  FILE.json    one OSV record, or CISA's Known Exploited Vulnerabilities
               catalogue (known_exploited_vulnerabilities.json)
  FILE.csv[.gz] FIRST's EPSS scores (epss_scores-YYYY-MM-DD.csv.gz)

The database is one file (default $CRADLE_HOME/vuln/osv.db) holding its
schema version and the provenance of every import (source, SHA-256, time,
counts). Re-importing is incremental: records whose bytes did not change
are kept; changed ones replace their old version. A KEV or EPSS import
replaces the previous catalogue or scores. Records that do not parse are
skipped and counted (the first ten are named on standard error).

Exit codes: 0 imported; 2 usage or input error (a missing or unreadable
source, a source without any OSV record, a database of another schema);
1 internal error; 130 interrupted (the database keeps the batches already
committed).`

func newVulnDBCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local vulnerability database",
		Long:  "Import OSV, KEV and EPSS data into the local vulnerability database.",
		Args:  cobra.NoArgs,
	}
	var dbPath string
	imp := &cobra.Command{
		Use:   "import SOURCE... [--db FILE]",
		Short: "Import OSV records, the KEV catalogue or EPSS scores into the local database",
		Long:  vulnImportLong,
		Example: `  cradle vuln db import ~/vulndb/data/osv
  cradle vuln db import Go-all.zip PyPI-all.zip known_exploited_vulnerabilities.json epss_scores.csv.gz
  cradle vuln db import --db /srv/cradle/osv.db Debian-all.zip`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := env.app().VulnImport(cmd.Context(), app.VulnImportInput{DB: dbPath, Sources: args})
			if err != nil {
				return err
			}
			for _, p := range out.Imports {
				fmt.Fprintf(env.Stdout, "%s %s: %d records (%d added, %d updated, %d unchanged, %d skipped)\n",
					p.Kind, p.Source, p.Records, p.Added, p.Updated, p.Unchanged, p.Skipped)
			}
			fmt.Fprintf(env.Stdout, "%s: %d vulnerabilities, %d KEV, %d EPSS; %.1f MB; %s\n", out.DB, out.Info.Vulns, out.Info.KEV,
				out.Info.EPSS, float64(out.Bytes)/1e6, out.Took.Round(time.Millisecond))
			return nil
		},
	}
	imp.Flags().StringVar(&dbPath, "db", "", "vulnerability database `FILE` (default $CRADLE_HOME/vuln/osv.db)")
	cmd.AddCommand(imp, newVulnDBInfoCmd(env))
	return cmd
}

func newVulnDBInfoCmd(env *Env) *cobra.Command {
	var dbPath string
	cmd := &cobra.Command{
		Use:   "info [--db FILE]",
		Short: "Show the local vulnerability database: schema, counts, age and import provenance",
		Long: `Show the vulnerability database's schema version, how many OSV records,
KEV entries and EPSS scores it holds, when it was last imported and, per
source, the provenance of its last import (kind, SHA-256 of the file,
time, counts).

Exit codes: 0 shown; 2 no database, or one of another schema; 1 internal
error.`,
		Example: `  cradle vuln db info
  cradle vuln db info --db /srv/cradle/osv.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := env.app().VulnDBInfo(dbPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s (schema %s): %d vulnerabilities, %d KEV, %d EPSS; last import %s (%s ago)\n", in.Path, in.Schema,
				in.Vulns, in.KEV, in.EPSS, in.Updated.Format(time.RFC3339), time.Since(in.Updated).Round(time.Minute))
			for _, p := range in.Imports {
				fmt.Fprintf(env.Stdout, "  %s %s  %s  %d records  %s %s\n", p.Kind, p.Source, p.Time.Format(time.RFC3339), p.Records, p.Version, p.SHA256)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "vulnerability database `FILE` (default $CRADLE_HOME/vuln/osv.db)")
	return cmd
}
