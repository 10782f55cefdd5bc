package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cradle-cra/cradle/internal/target"
)

// strictTree makes every usage error of every command in the tree an
// exit-2 error: bad flags, flag combinations, unknown subcommands and
// unexpected arguments (with a hint when an argument is a target path).
func strictTree(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see %s --help)", err, c.CommandPath())
	})
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error { return checkExclusive(c) }
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && !c.Runnable():
			// A group of commands: an argument is an unknown subcommand.
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return unknownCommand(c, args[0])
				}
				return c.Help()
			}
		default:
			c.Args = strictArgs(c.Args)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func unknownCommand(c *cobra.Command, name string) error {
	if !c.HasParent() {
		// "cradle /srv": a path where a command belongs.
		if scan, _, err := c.Find([]string{"scan"}); err == nil && scan != c {
			if hint := targetHint(scan, name); hint != "" {
				return usageErr("unknown command %q: %s", name, hint)
			}
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErr("%s (see %s --help)", msg, c.CommandPath())
}

// strictArgs turns argument errors into usage errors; a command taking no
// arguments that is given a path suggests the target flag.
func strictArgs(fn cobra.PositionalArgs) cobra.PositionalArgs {
	if fn == nil {
		fn = cobra.NoArgs
	}
	return func(c *cobra.Command, args []string) error {
		err := fn(c, args)
		if err == nil {
			return nil
		}
		if len(args) > 0 {
			if hint := targetHint(c, args[0]); hint != "" {
				return usageErr("unexpected argument %q: %s", args[0], hint)
			}
		}
		if c.HasSubCommands() && len(args) > 0 {
			return unknownCommand(c, args[0])
		}
		return usageErr("%v (see %s --help)", err, c.CommandPath())
	}
}

// targetHint suggests the target flag for an argument that looks like a
// target path ("cradle scan /srv" → --root /srv).
func targetHint(c *cobra.Command, arg string) string {
	fi, err := os.Stat(arg)
	var flags []string
	for _, k := range target.Kinds() {
		if k.Flag == "" || c.Flags().Lookup(k.Flag) == nil {
			continue
		}
		metavar := "FILE"
		if k.Dir {
			metavar = "DIR"
		}
		flags = append(flags, "--"+k.Flag+" "+metavar)
		if err == nil && fi.IsDir() == k.Dir {
			return fmt.Sprintf("targets are given with flags; for the %s %s use: %s --%s %s", k.Label, arg, c.CommandPath(), k.Flag, arg)
		}
	}
	if len(flags) > 0 && (strings.ContainsAny(arg, `/\`) || arg == "." || arg == "..") {
		return fmt.Sprintf("targets are given with flags: %s %s", c.CommandPath(), strings.Join(flags, " or "))
	}
	return ""
}

// exclusiveAnnotation is where cobra's MarkFlagsMutuallyExclusive keeps
// its groups.
const exclusiveAnnotation = "cobra_annotation_mutually_exclusive"

// checkExclusive reports two flags of one mutually exclusive group as a
// usage error (cobra's own check would be an untyped error).
func checkExclusive(c *cobra.Command) error {
	var err error
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || !f.Changed {
			return
		}
		for _, group := range f.Annotations[exclusiveAnnotation] {
			var set []string
			for _, name := range strings.Fields(group) {
				if g := c.Flags().Lookup(name); g != nil && g.Changed {
					set = append(set, "--"+name)
				}
			}
			if len(set) > 1 {
				err = usageErr("%s are mutually exclusive", strings.Join(set, " and "))
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if err := c.ValidateRequiredFlags(); err != nil {
		return usageErr("%v (see %s --help)", err, c.CommandPath())
	}
	return nil
}

// newHelpCmd is "cradle help [command]"; an unknown topic is a usage
// error.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help provides help for any command in the application.\nSimply type " + root.Name() + " help [path to command] for full details.",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usageErr("unknown help topic %q (see %s --help)", strings.Join(args, " "), root.Name())
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
