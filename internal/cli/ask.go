package cli

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

// interactive reports whether standard input is a terminal a person
// answers on.
func (e *Env) interactive() bool {
	w, ok := e.Stdin.(io.Writer)
	return ok && e.tty(w)
}

// asker reads one answer per line; prompts go to standard error so
// standard output stays clean. End of input leaves the default.
type asker struct {
	in  *bufio.Scanner
	out io.Writer
}

func newAsker(env *Env) *asker {
	s := bufio.NewScanner(env.Stdin)
	s.Buffer(make([]byte, 4096), 64<<10)
	return &asker{in: s, out: env.Stderr}
}

// ask prompts for *v unless a flag already set it.
func (a *asker) ask(prompt string, v *string, def string) {
	if *v != "" {
		return
	}
	if def != "" {
		fmt.Fprintf(a.out, "%s [%s]: ", prompt, def)
	} else {
		fmt.Fprintf(a.out, "%s: ", prompt)
	}
	if a.in.Scan() {
		*v = strings.TrimSpace(a.in.Text())
	}
	if *v == "" {
		*v = def
	}
}

func askInit(env *Env, cmd *cobra.Command, ans *app.InitAnswers) error {
	a := newAsker(env)
	a.ask("Product name", &ans.Product, "")
	a.ask("Current version", &ans.Version, "1.0.0")
	a.ask("Manufacturer (legal name)", &ans.Manufacturer, "")
	a.ask("Manufacturer contact e-mail", &ans.Email, "")
	a.ask("Intended purpose (one sentence)", &ans.IntendedPurpose, "")
	a.ask("Security contact for vulnerability reports (e-mail or URL)", &ans.SecurityContact, ans.Email)
	if !cmd.Flags().Changed("support-years") {
		years := ""
		a.ask("Support period in years (at least 5 unless the product's use is shorter)", &years, "5")
		n, err := strconv.Atoi(years)
		if err != nil || n <= 0 {
			return usageErr("support period %q: want a number of years", years)
		}
		ans.SupportYears = n
	}
	if !cmd.Flags().Changed("category") {
		ids, err := askCategories(env, a)
		if err != nil {
			return err
		}
		ans.Categories = ids
	}
	return nil
}

// askCategories shows Annex III and IV and reads the matching ids.
func askCategories(env *Env, a *asker) ([]string, error) {
	fmt.Fprintln(a.out, "Annex III (important, classes I and II) and Annex IV (critical) categories:")
	for _, c := range env.app().Categories() {
		fmt.Fprintf(a.out, "  %-5s %s\n", c.ID, c.Title)
	}
	line := ""
	a.ask("IDs matching the product's core functionality, comma-separated (none if no category applies)", &line, "none")
	return splitCategories(line), nil
}

// splitCategories reads "I.11, II.2" or "none".
func splitCategories(s string) []string {
	ids := []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.EqualFold(f, "none") {
			ids = append(ids, f)
		}
	}
	return ids
}
