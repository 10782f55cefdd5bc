package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

// sudoDropIn is the file cradle keeps its sudoers settings in.
const sudoDropIn = "etc/sudoers.d/cradle"

// sudoLogfile is the log file set when a rule only requires one.
const sudoLogfile = "/var/log/sudo.log"

// Remediate writes the setting to /etc/sudoers.d/cradle (or the end of
// /etc/sudoers when that does not read sudoers.d) and drops the setting
// from any later Defaults line that would still override it.
func (c *sudoOptionCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	p, err := sudoers.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read sudoers: %w", err)
	}
	if !p.Present {
		return nil
	}
	item, ok := c.item()
	if !ok {
		ch.Defer("set "+c.expected(), "no value meeting the rule can be chosen automatically")
		return nil
	}
	file := sudoDropIn
	if !sudoReadsDropIns(ch) {
		file = "etc/sudoers"
	}
	f, err := readText(ch, file)
	if err != nil {
		return err
	}
	if !f.exists {
		f.lines = []string{"# Settings made by cradle fix. Edit with visudo -f /etc/sudoers.d/cradle."}
	}
	replaced := false
	if file == sudoDropIn {
		for n := 1; n <= len(f.lines) && !replaced; n++ {
			if _, hit := sudoDropItem(f.line(n), c.a.Option); hit {
				f.set(n, "Defaults\t"+item)
				replaced = true
			}
		}
	}
	if !replaced {
		f.appendLine("Defaults\t" + item)
	}
	if err := writeSudoers(ch, f, "set Defaults "+item); err != nil {
		return err
	}
	// A later Defaults line (another sudoers.d file sorting after ours, or
	// a line after the include) still wins: drop the option there.
	for range 32 {
		if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status == result.Pass {
			break
		}
		p, err := sudoers.Collect(ctx, ch.Overlay())
		if err != nil {
			return fmt.Errorf("read sudoers: %w", err)
		}
		d := p.Effective(c.a.Option)
		if d == nil {
			break
		}
		if err := sudoRemoveDefault(ch, d.File, d.Line, c.a.Option, "drop overriding "+c.a.Option); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo " + c.a.Option, Value: item})
	return nil
}

// item renders the Defaults item that satisfies the check.
func (c *sudoOptionCheck) item() (string, bool) {
	if c.a.Enabled != nil {
		if *c.a.Enabled {
			return c.a.Option, true
		}
		return "!" + c.a.Option, true
	}
	var cands []string
	cands = append(cands, c.a.Allowed...)
	if c.a.Max != nil {
		cands = append(cands, strconv.FormatInt(*c.a.Max, 10))
	}
	if c.a.Min != nil {
		cands = append(cands, strconv.FormatInt(*c.a.Min, 10))
	}
	if c.a.Option == "logfile" {
		cands = append(cands, sudoLogfile)
	}
	for _, v := range cands {
		if c.judge(v, true) {
			if strings.ContainsAny(v, " ,\"=#") || strings.Contains(v, "/") {
				return c.a.Option + `="` + v + `"`, true
			}
			return c.a.Option + "=" + v, true
		}
	}
	return "", false
}

// sudoReadsDropIns reports whether /etc/sudoers includes /etc/sudoers.d.
func sudoReadsDropIns(ch *remedy.Changes) bool {
	b, err := ch.ReadFile("etc/sudoers")
	if err != nil {
		return false
	}
	for _, st := range sudoers.Parse(b, "/etc/sudoers") {
		if st.Kind == "includedir" && strings.TrimSuffix(st.Path, "/") == "/etc/sudoers.d" {
			return true
		}
	}
	return false
}

// writeSudoers refuses to plan sudoers content its own parser finds
// invalid: a broken sudoers file locks every administrator out of sudo.
func writeSudoers(ch *remedy.Changes, f *textFile, summary string) error {
	data := f.bytes()
	if err := sudoers.Validate(data); err != nil {
		return fmt.Errorf("planned /%s would be invalid: %w", f.path, err)
	}
	return ch.WriteFile(f.path, data, 0o440, summary)
}

// sudoDropItem removes the global Defaults item name from a Defaults line.
// It reports whether the line had it; the result is "" when nothing is
// left of the line.
func sudoDropItem(line, name string) (string, bool) {
	indent := leadingBlank(line)
	t := strings.TrimSpace(line)
	word, rest, _ := strings.Cut(strings.ReplaceAll(t, "\t", " "), " ")
	if !strings.HasPrefix(word, "Defaults") {
		return line, false
	}
	comment := ""
	body := rest
	if i := sudoers.CommentIndex(rest); i >= 0 {
		body, comment = rest[:i], rest[i:]
	}
	var keep []string
	hit := false
	for _, it := range sudoSplit(body) {
		n := strings.TrimSpace(it)
		if n == "" {
			continue
		}
		bare := strings.TrimLeft(n, "! \t")
		if i := strings.IndexAny(bare, "+-="); i >= 0 {
			bare = strings.TrimRight(bare[:i], "+- \t")
		}
		if bare == name {
			hit = true
			continue
		}
		keep = append(keep, n)
	}
	if !hit {
		return line, false
	}
	if len(keep) == 0 {
		return "", true
	}
	out := indent + word + "\t" + strings.Join(keep, ", ")
	if comment != "" {
		out += " " + comment
	}
	return out, true
}

// sudoSplit splits on commas outside quotes.
func sudoSplit(s string) []string {
	var out []string
	inq, last := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inq = !inq
		case ',':
			if !inq {
				out = append(out, s[last:i])
				last = i + 1
			}
		}
	}
	return append(out, s[last:])
}

// sudoRemoveDefault drops option from the Defaults line at file:line,
// commenting the line out when it held nothing else.
func sudoRemoveDefault(ch *remedy.Changes, file string, line int, option, summary string) error {
	f, err := readText(ch, file)
	if err != nil {
		return err
	}
	last := f.continued(line)
	var logical strings.Builder
	for n := line; n <= last; n++ {
		l := f.line(n)
		if n < last {
			l = strings.TrimSuffix(strings.TrimRight(l, " \t"), `\`) + " "
		}
		logical.WriteString(l)
	}
	nl, hit := sudoDropItem(logical.String(), option)
	if !hit {
		return fmt.Errorf("%s:%d: Defaults %s not found", file, line, option)
	}
	if nl == "" {
		for n := line; n <= last; n++ {
			f.comment(n)
		}
	} else {
		f.set(line, nl)
		f.lines = slices.Delete(f.lines, line, last)
	}
	return writeSudoers(ch, f, summary)
}

// Remediate comments out the offending rules: "Defaults !authenticate"
// items, or NOPASSWD user specifications not exempted by allow.
func (c *sudoRuleCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if c.a.Forbid == "all_commands" {
		ch.Defer("restrict rules granting ALL commands", "which commands each user needs is a site decision")
		return nil
	}
	p, err := sudoers.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read sudoers: %w", err)
	}
	switch c.a.Forbid {
	case "no_authenticate":
		// One line at a time: joining a continued line renumbers the rest.
		for range 64 {
			var bad *sudoers.Default
			for i, d := range p.Defaults {
				if d.Name == "authenticate" && d.Negated {
					bad = &p.Defaults[i]
					break
				}
			}
			if bad == nil {
				break
			}
			if err := sudoRemoveDefault(ch, bad.File, bad.Line, "authenticate", "drop Defaults"+bad.Binding+" !authenticate"); err != nil {
				return err
			}
			if p, err = sudoers.Collect(ctx, ch.Overlay()); err != nil {
				return fmt.Errorf("read sudoers: %w", err)
			}
		}
	case "nopasswd":
		byFile := map[string][]int{}
		var files []string
		for _, s := range p.Specs {
			if s.HasTag("NOPASSWD") && !c.allowed(s.Users) {
				if _, ok := byFile[s.File]; !ok {
					files = append(files, s.File)
				}
				byFile[s.File] = append(byFile[s.File], s.Line)
			}
		}
		for _, file := range files {
			f, err := readText(ch, file)
			if err != nil {
				return err
			}
			for _, n := range byFile[file] {
				for i := n; i <= f.continued(n); i++ {
					f.comment(i)
				}
			}
			if err := writeSudoers(ch, f, "disable NOPASSWD rules"); err != nil {
				return err
			}
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo " + c.a.Forbid})
	return nil
}
