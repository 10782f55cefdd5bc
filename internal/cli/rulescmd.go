package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type ruleInfo struct {
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Severity   string              `json:"severity"`
	Profiles   []string            `json:"profiles"`
	Platforms  []string            `json:"platforms,omitempty"`
	Template   string              `json:"template"`
	Fixable    bool                `json:"fixable"`
	References map[string][]string `json:"references"`
	Source     string              `json:"source"`
}

func newRulesCmd(env *Env) *cobra.Command {
	var profile, format string
	cmd := &cobra.Command{
		Use:   "rules [--profile P] [--format table|json|markdown]",
		Short: "List the rules of the built-in baseline",
		Long: `List the rules of the built-in baseline, or of one profile, with their
severity, profiles, check template and CRA Annex I references.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := loadCatalog()
			if err != nil {
				return err
			}
			list := eng.Rules.Rules
			if profile != "" {
				if list, err = eng.Profiles.Select(eng.Rules, profile); err != nil {
					return usageErr("--profile: %v", err)
				}
			}
			var infos []ruleInfo
			for _, r := range list {
				infos = append(infos, ruleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity.String(), Profiles: r.Profiles,
					Platforms: r.Platforms, Template: r.Template, Fixable: r.Fixable(eng.Registry), References: r.References, Source: r.Source})
			}
			switch format {
			case "markdown":
				if profile != "" {
					return usageErr("--format markdown documents the whole baseline; drop --profile")
				}
				return writeRulesMarkdown(env.Stdout, eng)
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(infos)
			case "table":
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tPROFILES\tCRA\tTITLE")
				for _, r := range infos {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.Profiles, ","), strings.Join(r.References["cra"], ","), r.Title)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "\n%d rules\n", len(infos))
				return nil
			}
			return usageErr("--format: unknown format %q (want table, json or markdown)", format)
		},
	}
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "list only the rules of profile `P`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown")
	return cmd
}
