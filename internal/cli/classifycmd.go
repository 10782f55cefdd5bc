package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newClassifyCmd(env *Env) *cobra.Command {
	var of outputFlags
	var in app.ClassifyInput
	var categories []string
	var standards, scheme string
	var foss, interactive, list bool
	cmd := &cobra.Command{
		Use:   "classify [--file cradle.yaml] [--category ID …] [--standards full|partial|none]",
		Short: "Place the product in its CRA class and list the conformity assessment routes open to it",
		Long: `Classify the product from its core functionality: default, important class I
or II (Annex III) or critical (Annex IV), and list the conformity assessment
routes of Art. 32 — module A (self-assessment), B+C, H, or a European
certification scheme — each open, closed or conditional, with the reason.
Class I may self-assess only when harmonised standards, common
specifications or a certificate at assurance level substantial are applied
in full; class II and critical products never may (free and open-source
software with public technical documentation excepted, Art. 32(5)).

The answers come from the product file's classification section
(./cradle.yaml when present, or --file), from flags, which override it,
or from questions with --interactive. --list shows every category.
Integrating an important component does not make the product important:
answer for the product's core functionality. See docs/cra.md.

Exit codes: 0 classified; 2 usage error, an invalid product file
(file:line) or no answers; 1 internal error.`,
		Example: `  cradle classify --list
  cradle classify                       # answers from ./cradle.yaml
  cradle classify --category I.12 --standards none --format json
  cradle classify --category none`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				return listCategories(env)
			}
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("category") {
				in.Categories = append([]string{}, categories...)
			}
			if fl.Changed("standards") {
				in.Standards = &standards
			}
			if fl.Changed("scheme") {
				in.Scheme = &scheme
			}
			if fl.Changed("free-open-source") {
				in.FOSS = &foss
			}
			if interactive && in.Categories == nil {
				ids, err := askCategories(env, newAsker(env))
				if err != nil {
					return err
				}
				in.Categories = ids
			}
			r, warns, err := env.app().Classify(cmd.Context(), in)
			for _, w := range warns {
				env.warnf("%s", w)
			}
			if err != nil {
				return err
			}
			return sink.Write(r, output.Options{})
		},
	}
	of.register(cmd, output.KindClassification, false)
	f := cmd.Flags()
	f.StringVar(&in.File, "file", "", "product file (default ./cradle.yaml when present)")
	f.StringSliceVar(&categories, "category", nil, "Annex III/IV category `ID` matching the core functionality (repeatable; none for no category)")
	f.StringVar(&standards, "standards", "", "harmonised standards or common specifications applied: full, partial or none")
	f.StringVar(&scheme, "scheme", "", "European certificate assurance `level`: basic, substantial or high")
	f.BoolVar(&foss, "free-open-source", false, "free and open-source software with public technical documentation (Art. 32(5))")
	f.BoolVarP(&interactive, "interactive", "i", false, "ask for the categories")
	f.BoolVar(&list, "list", false, "list the Annex III and IV categories and exit")
	return cmd
}

func listCategories(env *Env) error {
	return env.app().ListCategories(env.Stdout)
}
