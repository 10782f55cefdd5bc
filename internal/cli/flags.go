package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/target"
)

// The flag groups below are declared once and shared by every command
// that needs them, so a flag means the same everywhere.

// targetFlags select the target: the live host, or one flag per target
// kind with a path (--root DIR, --image FILE), mutually exclusive.
type targetFlags struct {
	paths       map[string]*string // flag name → value
	quiet       bool
	imageLimits imageLimitFlags
}

// targetOpts says which target flags a command takes.
type targetOpts struct {
	what     string // "scan", "the log of", … in the flag help
	writable bool   // only kinds fix can change (directory trees)
	noQuiet  bool   // the command shows no progress
	noOpen   bool   // the command names the target but never reads it
}

func (tf *targetFlags) register(cmd *cobra.Command, o targetOpts) {
	fl := cmd.Flags()
	tf.paths = map[string]*string{}
	var names []string
	for _, k := range target.Kinds() {
		if k.Flag == "" || o.writable && !k.Dir {
			continue
		}
		tf.paths[k.Flag] = fl.String(k.Flag, "", o.what+" "+k.Usage)
		names = append(names, k.Flag)
		if k.Kind == target.KindImage && !o.noOpen {
			tf.imageLimits.register(cmd)
		}
	}
	if len(names) > 1 {
		cmd.MarkFlagsMutuallyExclusive(names...)
	}
	if !o.noQuiet {
		fl.BoolVarP(&tf.quiet, "quiet", "q", false, "no progress on standard error")
	}
}

// spec names the selected target. An empty --root or --image is a usage
// error, never the live host: "--root $UNSET" must not change this
// machine.
func (tf *targetFlags) spec(cmd *cobra.Command) (target.Spec, error) {
	for _, k := range target.Kinds() {
		p, ok := tf.paths[k.Flag]
		if !ok || !cmd.Flags().Changed(k.Flag) {
			continue
		}
		if *p == "" {
			return target.Spec{}, usageErr("--%s is empty: give a path, or leave the flag out to use the live host", k.Flag)
		}
		s, err := target.NewSpec(k.Kind, *p)
		if err != nil {
			return s, usageErr("--%s: %v", k.Flag, err)
		}
		if k.Kind == target.KindImage {
			s.Image, err = tf.imageLimits.options()
		}
		return s, err
	}
	return target.Host(), nil
}

// specFor opens the output sink and names the target, so a bad format
// is refused before any work.
func specFor(cmd *cobra.Command, env *Env, tf *targetFlags, of *outputFlags) (target.Spec, *output.Sink, error) {
	sink, err := of.open(env)
	if err != nil {
		return target.Spec{}, nil, err
	}
	spec, err := tf.spec(cmd)
	return spec, sink, err
}

// selectionFlags choose the rules: --profile, --tailoring, --waivers,
// --rule.
type selectionFlags struct {
	profile, tailoring, waivers string
	rules, ruleFiles            []string
}

// selectionOpts word the flag help for a command.
type selectionOpts struct {
	verb   string // "evaluate", "fix", "approve"
	stored bool   // the files are stored in a snapshot
}

func (sf *selectionFlags) register(cmd *cobra.Command, o selectionOpts) {
	fl := cmd.Flags()
	stored := ""
	if o.stored {
		stored = "; stored in the snapshot"
	}
	fl.StringVarP(&sf.profile, "profile", "p", "", "profile to "+o.verb+": default, strict or product (default \"default\")")
	fl.StringVar(&sf.tailoring, "tailoring", "", "tailoring `FILE` (select/unselect rules, parameters)"+stored)
	fl.StringVar(&sf.waivers, "waivers", "", "waiver `FILE` (accepted failures with justification and expiry)"+stored)
	fl.StringSliceVar(&sf.rules, "rule", nil, o.verb+" only rule `ID` (repeatable)")
	registerRuleFiles(cmd, &sf.ruleFiles, stored)
}

// registerRuleFiles declares --rules, the organisation's own rule files.
func registerRuleFiles(cmd *cobra.Command, files *[]string, stored string) {
	cmd.Flags().StringArrayVar(files, "rules", nil, "load your own rules from `FILE|DIR` (*.yaml; repeatable; docs/rule-format.md)"+stored)
}

func (sf *selectionFlags) selection() app.Selection {
	return app.Selection{Profile: sf.profile, Tailoring: sf.tailoring, Waivers: sf.waivers, Rules: sf.rules, RuleFiles: sf.ruleFiles}
}

// outputFlags choose the format and where the document of one kind goes;
// the formats are the output registry's for the kind.
type outputFlags struct {
	format, output string
	kind           output.Kind
}

// register declares --format (default table) and, unless noFile, -o FILE.
func (of *outputFlags) register(cmd *cobra.Command, kind output.Kind, noFile bool) {
	of.kind = kind
	formats := []string{"table"}
	if spec, err := output.Default().Spec(kind); err == nil {
		for _, f := range spec.Formats() {
			if f != "table" {
				formats = append(formats, f)
			}
		}
	}
	cmd.Flags().StringVarP(&of.format, "format", "f", "table", "output format: "+orList(formats))
	if !noFile {
		cmd.Flags().StringVarP(&of.output, "output", "o", "", "write the document to `FILE` (atomically) instead of stdout")
	}
}

// open checks the format (before any work is done) and returns the sink.
func (of *outputFlags) open(env *Env) (*output.Sink, error) {
	return output.Default().Open(of.kind, of.format, of.output, env.Stdout)
}

// changeFlags are what change control records: --change-ref, --actor,
// --reason, --key.
type changeFlags struct {
	changeRef, actor, reason, key string
}

func (cf *changeFlags) register(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVar(&cf.changeRef, "change-ref", "", "change request or ticket `REF` authorising "+what)
	fl.StringVar(&cf.actor, "actor", "", "who asked for "+what+", if not the OS user (person or system `NAME`)")
	fl.StringVar(&cf.reason, "reason", "", "why, recorded in the change log")
	fl.StringVar(&cf.key, "key", "", "sign the change log entry with the private key `FILE` (PEM PKCS#8 ed25519; default $CRADLE_SIGNING_KEY or the generated key)")
}

func (cf *changeFlags) change() app.Change {
	return app.Change{ChangeRef: cf.changeRef, Actor: cf.actor, Reason: cf.reason, Key: cf.key}
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := ""
	for i, v := range s[:len(s)-1] {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + " or " + s[len(s)-1]
}
