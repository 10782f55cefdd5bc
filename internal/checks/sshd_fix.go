package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// sshd applies the first value it reads for a keyword, so fixes go into
// one managed block at the top of the main sshd_config, ahead of every
// Include: whatever drop-ins say later cannot win over it. Conflicting
// lines elsewhere are commented out so the files say what is in effect.
const (
	sshdBlockBegin = "# BEGIN cradle managed settings"
	sshdBlockEnd   = "# END cradle managed settings"
	// sshdCryptoBackend is the crypto-policies back end; on RHEL 8 it is
	// passed as command-line options that win over the files.
	sshdCryptoBackend = "etc/crypto-policies/back-ends/opensshserver.config"
	sshdSysconfig     = "etc/sysconfig/sshd"
)

// Remediate sets the option to a compliant value in the managed block and
// comments out conflicting lines (and Match-block lines the check counts).
func (c *sshdOptionCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	cfg, err := sshd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading sshd configuration: %w", err)
	}
	if !cfg.Installed {
		return nil
	}
	k := c.a.Option
	v := cfg.Effective(k)
	globalOK := (v.Known && c.judge(v.Args) == "") || (!v.Known && c.a.MissingOK)
	noFwd := false
	if forwardingOptions[k] {
		d := cfg.Effective("DisableForwarding")
		noFwd = strings.EqualFold(d.String(), "yes") && len(d.Sources) > 0
		globalOK = globalOK || noFwd
	}
	value := ""
	if !globalOK {
		var ok bool
		if value, ok = c.pickValue(cfg); !ok {
			ch.Defer("set "+c.expected(), "no value satisfies the rule's constraints without a site-specific choice")
			return nil
		}
		if err := sshdSetManaged(ch, cfg, k, value); err != nil {
			return err
		}
	}
	notForRoot := sshdNotForRoot(f, k)
	err = sshdCommentOut(ctx, ch, k, func(d sshd.Directive) bool {
		if d.Match == nil {
			return value != "" && (sshd.Multi(k) || !sshdSameValue(d.Value(), value))
		}
		return c.a.MatchBlocks != "ignore" && !noFwd && !notForRoot(d) && c.judge(d.Args) != ""
	})
	if err != nil {
		return err
	}
	if value == "" {
		value = v.String()
	}
	ch.Effect(sshdEffect(k, value))
	return nil
}

// pickValue chooses the value to set: a compliant value the configuration
// already states (the administrator's intent), sshd's default when it
// complies (the least surprising change), then the rule's own bounds.
func (c *sshdOptionCheck) pickValue(cfg *sshd.Config) (string, bool) {
	var cands []string
	for _, d := range cfg.Directives {
		if d.Keyword == c.a.Option && d.Match == nil {
			cands = append(cands, d.Value())
		}
	}
	if d, ok := sshd.Default(c.a.Option, cfg.Version); ok {
		cands = append(cands, d)
	}
	cands = append(cands, c.a.Allowed...)
	if c.hasMax {
		cands = append(cands, c.a.Max)
	}
	if c.hasMin {
		cands = append(cands, c.a.Min)
	}
	if c.a.Option == "Banner" {
		cands = append(cands, "/etc/issue.net")
	}
	for _, v := range cands {
		if f := strings.Fields(v); len(f) > 0 && c.judge(f) == "" {
			return strings.Join(f, " "), true
		}
	}
	return "", false
}

// Remediate sets the algorithm list to the effective one minus the
// forbidden algorithms (the version's defaults when nothing else is left).
func (c *sshdCryptoCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := sshd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading sshd configuration: %w", err)
	}
	if !cfg.Installed {
		return nil
	}
	k := c.a.Option
	keep := func(l []string) []string {
		var out []string
		for _, a := range l {
			if !matchAny(c.a.Forbidden, a) {
				out = append(out, a)
			}
		}
		return out
	}
	list, _ := cfg.Algorithms(k)
	algs := keep(list)
	if len(algs) == 0 {
		def, _ := sshd.DefaultAlgorithms(k, cfg.Version)
		algs = keep(def)
	}
	if len(algs) == 0 {
		ch.Defer("set "+k+" without "+orList(c.a.Forbidden), "every algorithm sshd supports is forbidden by the rule")
		return nil
	}
	value := strings.Join(algs, ",")
	return sshdSetFixed(ctx, ch, k, value, func(d sshd.Directive) bool {
		return d.Match == nil && d.Value() != value
	})
}

func matchAny(pats []string, s string) bool {
	for _, p := range pats {
		if sshd.MatchPattern(p, s) {
			return true
		}
	}
	return false
}

func sshdSameValue(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// sshdEditable reports whether cradle edits a configuration file: files
// under /etc except the generated crypto-policies back end.
func sshdEditable(file string) bool {
	return strings.HasPrefix(file, "/etc/") && !strings.HasPrefix(file, "/etc/crypto-policies/")
}

func sshdEffect(k, value string) remedy.Effect {
	switch k {
	case "PermitRootLogin":
		return remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Subject: "root", Value: value}
	case "PasswordAuthentication", "KbdInteractiveAuthentication", "PermitEmptyPasswords":
		return remedy.Effect{Kind: remedy.EffectSSHNoPassword, Subject: k, Value: value}
	}
	return remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: k, Value: value}
}

// sshdBlockRange returns the 1-based lines of the managed block markers in
// lines, or 0, 0.
func sshdBlockRange(lines []string) (int, int) {
	begin := 0
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case sshdBlockBegin:
			if begin == 0 {
				begin = i + 1
			}
		case sshdBlockEnd:
			if begin > 0 {
				return begin, i + 1
			}
		}
	}
	return 0, 0
}

// sshdInBlock returns a test for lines of the managed block in the
// planned main configuration (read once: callers test every directive).
func sshdInBlock(ch *remedy.Changes) func(sshd.Directive) bool {
	b, _, err := fixReadOptional(ch, sshd.MainConfig)
	if err != nil {
		return func(sshd.Directive) bool { return false }
	}
	begin, end := sshdBlockRange(fixLines(b))
	main := target.Abs(sshd.MainConfig)
	return func(d sshd.Directive) bool {
		return d.File == main && begin > 0 && d.Line > begin && d.Line < end
	}
}

// sshdSetManaged sets keyword to value in the managed block, creating the
// block after the file's leading comments. On RHEL 8, where the crypto
// policy arrives as command-line options that no file can override, it
// opts sshd out of the policy and keeps the policy's other values in the
// block.
func sshdSetManaged(ch *remedy.Changes, cfg *sshd.Config, k, value string) error {
	set := [][2]string{{k, value}}
	cmdline := false
	for _, d := range cfg.Directives {
		if d.File == target.Abs(sshdCryptoBackend) && d.Match == nil {
			if b, err := ch.ReadFile(sshdCryptoBackend); err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "CRYPTO_POLICY=") {
				cmdline = true
				if d.Keyword != k {
					set = append(set, [2]string{d.Keyword, d.Value()})
				}
			}
		}
	}
	if cmdline {
		b, _, err := fixReadOptional(ch, sshdSysconfig)
		if err != nil {
			return err
		}
		lines := fixLines(b)
		lines = append(lines, "# sshd reads its crypto settings from sshd_config (cradle managed block), not the system policy.", "CRYPTO_POLICY=")
		if err := ch.WriteFile(sshdSysconfig, fixJoin(lines), 0o644, "opt sshd out of the system crypto policy so /etc/ssh/sshd_config decides "+k); err != nil {
			return err
		}
	}
	b, _, err := fixReadOptional(ch, sshd.MainConfig)
	if err != nil {
		return err
	}
	lines := fixLines(b)
	begin, end := sshdBlockRange(lines)
	if begin == 0 {
		at := len(lines)
		if pl := sshd.Parse(b); len(pl) > 0 {
			at = pl[0].Num - 1
		}
		block := []string{sshdBlockBegin, sshdBlockEnd}
		if at < len(lines) && strings.TrimSpace(lines[at]) != "" {
			block = append(block, "")
		}
		lines = append(lines[:at], append(block, lines[at:]...)...)
		begin, end = at+1, at+2
	}
	for i, kv := range set {
		found := false
		for j := begin; j < end-1; j++ {
			for _, pl := range sshd.Parse([]byte(lines[j])) {
				if pl.Keyword == kv[0] {
					found = true
					if i == 0 {
						lines[j] = kv[0] + " " + kv[1]
					}
				}
			}
		}
		if !found {
			lines = append(lines[:end-1], append([]string{kv[0] + " " + kv[1]}, lines[end-1:]...)...)
			end++
		}
	}
	return ch.WriteFile(sshd.MainConfig, fixJoin(lines), 0o600,
		fmt.Sprintf("set %s %s in the cradle managed block of /%s (first value wins)", k, value, sshd.MainConfig))
}
