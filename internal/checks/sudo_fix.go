package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
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
	// a line after the include) still wins, and a scoped one (":user",
	// ">runas", "!cmnd", …) still applies to whom it names: drop the option
	// there, one entry at a time, never our own line.
	for range 32 {
		store := facts.NewStore(ctx, ch.Overlay())
		if o := c.Evaluate(ctx, store); o.Status == result.Pass {
			break
		}
		p, err := sudoers.Collect(ctx, ch.Overlay())
		if err != nil {
			return fmt.Errorf("read sudoers: %w", err)
		}
		var bad *sudoers.Default
		for _, d := range p.Decisions(c.a.Option, sudoPrincipals(store)) {
			ours := d.Entry != nil && d.Entry.File == "/"+file && d.Entry.Binding == ""
			if _, ok := c.entryEvidence(d.Entry); !ok && d.Entry != nil && !ours {
				bad = d.Entry
				break
			}
		}
		if bad == nil {
			break
		}
		if err := sudoRemoveDefault(ch, bad.File, bad.Line, c.a.Option, "drop overriding "+c.a.Option); err != nil {
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

// Remediate drops "Defaults !authenticate" items, and removes the NOPASSWD
// tag from user specifications not exempted by allow where that locks no
// one out (fixNopasswd).
func (c *sudoRuleCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	switch c.a.Forbid {
	case "all_commands", "all_users":
		ch.Defer("restrict rules granting ALL commands", "which commands each user needs is a site decision")
		return nil
	case "command_negation":
		ch.Defer("replace negated commands with the commands allowed", "which commands each user needs is a site decision")
		return nil
	}
	p, err := sudoers.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read sudoers: %w", err)
	}
	switch c.a.Forbid {
	case "no_authenticate":
		db, err := accounts.Collect(ctx, ch.Overlay())
		if err != nil {
			return fmt.Errorf("read account database: %w", err)
		}
		kept := map[string]bool{}
		// One line at a time: joining a continued line renumbers the rest.
		for range 64 {
			var bad *sudoers.Default
			for i, d := range p.Defaults {
				if d.Name == "authenticate" && d.Negated && !kept[fmt.Sprintf("%s:%d", d.File, d.Line)] {
					bad = &p.Defaults[i]
					break
				}
			}
			if bad == nil {
				break
			}
			if reason := sudoAuthenticateBlocker(p, db, bad); reason != "" {
				kept[fmt.Sprintf("%s:%d", bad.File, bad.Line)] = true
				ch.Defer(fmt.Sprintf("keep Defaults%s !authenticate (%s:%d)", bad.Binding, bad.File, bad.Line), reason)
				continue
			}
			if err := sudoRemoveDefault(ch, bad.File, bad.Line, "authenticate", "drop Defaults"+bad.Binding+" !authenticate"); err != nil {
				return err
			}
			ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo " + c.a.Forbid})
			if p, err = sudoers.Collect(ctx, ch.Overlay()); err != nil {
				return fmt.Errorf("read sudoers: %w", err)
			}
		}
		return nil
	}
	// Effects are attached per file as it is written; deferred
	// operations carry none.
	return c.fixNopasswd(ctx, ch, p)
}

// sudoAuthenticateBlocker says why "Defaults !authenticate" d must stay:
// the accounts it exempts from authentication (those its binding names,
// or for a global or host/runas/command binding everyone the policy
// grants sudo to) include one without a usable password, or one the
// local files cannot resolve. "" when dropping it locks no one out.
func sudoAuthenticateBlocker(p *sudoers.Policy, db *accounts.DB, d *sudoers.Default) string {
	var items []string
	if list, ok := strings.CutPrefix(d.Binding, ":"); ok {
		items = strings.Split(list, ",")
	} else {
		for _, s := range p.Specs {
			items = append(items, s.Users...)
		}
	}
	names, problems := sudoUsers(items, p.Aliases, db)
	if !db.ShadowReadable {
		problems = append(problems, shadowFile+" unreadable: "+db.ShadowError)
	}
	if len(problems) > 0 {
		return "it exempts accounts whose password cannot be checked in the local files (" + strings.Join(problems, "; ") +
			"): requiring a password could remove their sudo; waive the rule or name local accounts"
	}
	if nopw := withoutPassword(db, names); len(nopw) > 0 {
		return plural(nopw, "has no usable password", "have no usable password") +
			": requiring one would remove their sudo; set a password first (passwd " + nopw[0] + ") or waive the rule"
	}
	return ""
}

// sudoLine is one sudoers line holding NOPASSWD specifications.
type sudoLine struct {
	file string
	line int
	spec *sudoers.Spec // the first specification of the line
	cmds []string      // the commands of the line's NOPASSWD specifications, Cmnd_Alias names expanded
}

// fixNopasswd removes the NOPASSWD tag from each offending line whose
// accounts all have a usable password, keeping every other byte of the
// line: they keep their grant and type their password. A line naming an
// account without a usable password (a cloud-init administrator with a
// locked password), or accounts the local files cannot resolve (ALL,
// netgroups, directory-service users), keeps its grant and is deferred
// with the reason: requiring a password there would take sudo away.
func (c *sudoRuleCheck) fixNopasswd(ctx context.Context, ch *remedy.Changes, p *sudoers.Policy) error {
	db, err := accounts.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read account database: %w", err)
	}
	var lines []*sudoLine
	byKey := map[string]*sudoLine{}
	for i := range p.Specs {
		s := &p.Specs[i]
		if g, _ := granted(p, s); !s.HasTag("NOPASSWD") || len(g) == 0 || c.allowed(p, s.Users) {
			continue
		}
		k := fmt.Sprintf("%s:%d", s.File, s.Line)
		if byKey[k] == nil {
			byKey[k] = &sudoLine{file: s.File, line: s.Line, spec: s}
			lines = append(lines, byKey[k])
		}
		for _, cmd := range sudoCommands(s.Commands, p.Aliases) {
			if !slices.Contains(byKey[k].cmds, cmd) {
				byKey[k].cmds = append(byKey[k].cmds, cmd)
			}
		}
	}
	type strip struct {
		l     *sudoLine
		users []string
	}
	var strips []strip
	var defers [][2]string
	for _, l := range lines {
		where := fmt.Sprintf("%s:%d", l.file, l.line)
		who := strings.Join(l.spec.Users, ",")
		keep := "keep the NOPASSWD rule for " + who + " (" + where + ")"
		names, problems := sudoUsers(l.spec.Users, p.Aliases, db)
		if !db.ShadowReadable {
			problems = append(problems, shadowFile+" unreadable: "+db.ShadowError)
		}
		if len(problems) > 0 {
			defers = append(defers, [2]string{keep, "the rule names accounts whose password cannot be checked in the local files (" +
				strings.Join(problems, "; ") + "): requiring a password could remove their sudo; rewrite the rule for local accounts or waive it"})
			continue
		}
		if nopw := withoutPassword(db, names); len(nopw) > 0 {
			reason := plural(nopw, "has no usable password", "have no usable password") +
				": requiring one would remove their sudo; set a password first (passwd " + nopw[0] + ") or waive the rule"
			if !slices.Contains(l.cmds, "ALL") {
				reason += "; the rule runs only " + strings.Join(l.cmds, ", ") + ", which looks like automation calling sudo -n"
			}
			defers = append(defers, [2]string{keep, reason})
			continue
		}
		if aged := passwordExpired(db, names, ch.Now()); len(aged) > 0 {
			defers = append(defers, [2]string{keep, plural(aged, "has an expired password", "have expired passwords") +
				": sudo lets a NOPASSWD rule through, but asking for the password it would first demand a new one, which fails without a terminal; have " +
				aged[0] + " change the password first (passwd " + aged[0] + ") or waive the rule"})
			continue
		}
		strips = append(strips, strip{l, names})
	}
	// One write per file, in the order the policy reads them.
	var files []string
	for _, st := range strips {
		if !slices.Contains(files, st.l.file) {
			files = append(files, st.l.file)
		}
	}
	for _, file := range files {
		f, err := readText(ch, file)
		if err != nil {
			return err
		}
		var users, done []string
		for _, st := range strips {
			if st.l.file != file {
				continue
			}
			if !sudoDropNopasswdLine(f, st.l.line) {
				defers = append(defers, [2]string{fmt.Sprintf("remove NOPASSWD at %s:%d", file, st.l.line),
					"the tag could not be removed without changing the rest of the line; edit it with visudo"})
				continue
			}
			done = append(done, strconv.Itoa(st.l.line))
			for _, u := range st.users {
				if !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
		}
		if len(done) == 0 {
			continue
		}
		if err := writeSudoers(ch, f, "require the password (drop NOPASSWD) on line "+strings.Join(done, ", ")); err != nil {
			return err
		}
		ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo nopasswd"})
		for _, st := range strips {
			if st.l.file != file || !slices.Contains(done, strconv.Itoa(st.l.line)) {
				continue
			}
			for _, u := range st.users {
				ch.Effect(remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: u, Value: strings.Join(st.l.cmds, ", ")})
			}
		}
	}
	for _, d := range defers {
		ch.Defer(d[0], d[1])
	}
	return nil
}

// maxEffectCommands bounds the commands an effect lists: nested aliases
// in a hostile policy could otherwise multiply without end.
const maxEffectCommands = 64

// sudoCommands expands Cmnd_Alias names (nested, bounded) in a command
// list, so the effect names the commands sudo's logs show.
func sudoCommands(cmds []string, aliases map[string][]string) []string {
	var out []string
	seen := map[string]bool{} // aliases expanded once: a repeated one adds nothing
	var walk func(cmds []string, depth int)
	walk = func(cmds []string, depth int) {
		for _, c := range cmds {
			if len(out) >= maxEffectCommands {
				return
			}
			c = strings.TrimSpace(c)
			if m, ok := aliases[c]; ok && isAliasName(c) && depth < maxAliasDepth {
				if !seen[c] {
					seen[c] = true
					walk(m, depth+1)
				}
				continue
			}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	walk(cmds, 0)
	return out
}

// sudoDropNopasswdLine removes the NOPASSWD tags of the logical line
// starting at physical line n, and proves by parsing both versions that
// nothing else changed: the same specifications, with NOPASSWD gone from
// their tags and the other tags as they were. It leaves f unchanged and returns false otherwise.
func sudoDropNopasswdLine(f *textFile, n int) bool {
	last := f.continued(n)
	before := sudoLineSpecs(f, n)
	old := slices.Clone(f.lines[n-1 : last])
	prev := byte('x') // the first word is the user list: no tag before it
	for i := n; i <= last; i++ {
		l, p := sudoDropNopasswd(f.line(i), prev)
		f.set(i, l)
		prev = p
	}
	after := sudoLineSpecs(f, n)
	ok := len(before) > 0 && len(before) == len(after)
	for i := 0; ok && i < len(before); i++ {
		b, a := before[i], after[i]
		ok = !a.HasTag("NOPASSWD") && slices.Equal(b.Users, a.Users) && slices.Equal(b.Hosts, a.Hosts) &&
			b.RunAs == a.RunAs && slices.Equal(b.Commands, a.Commands) &&
			slices.Equal(dropTags(b.Tags), dropTags(a.Tags))
	}
	if !ok {
		copy(f.lines[n-1:last], old)
	}
	return ok
}

// sudoLineSpecs parses the logical line at n on its own.
func sudoLineSpecs(f *textFile, n int) []sudoers.Spec {
	var out []sudoers.Spec
	for _, st := range sudoers.Parse(fixJoin(f.lines[n-1:f.continued(n)]), "") {
		if st.Kind == "spec" {
			out = append(out, st.Spec)
		}
	}
	return out
}

// dropTags removes the password tags: PASSWD is sudo's default, so a
// specification that lost NOPASSWD equals the old one without both.
func dropTags(tags []string) []string {
	return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return t == "NOPASSWD" || t == "PASSWD" })
}

// sudoDropNopasswd removes "NOPASSWD:" tags (with the blanks after them)
// from one physical sudoers line. A tag can only follow "=", ")", ","
// or another tag's ":" (blanks between); prev is the last non-blank
// character before the line (for a continued line) and the result's
// second value the same for the next line. Quotes, escapes and the
// comment are copied as they are.
func sudoDropNopasswd(line string, prev byte) (string, byte) {
	end := len(line)
	if i := sudoers.CommentIndex(line); i >= 0 {
		end = i
	}
	const tag = "NOPASSWD"
	var b strings.Builder
	inq := false
	for i := 0; i < end; {
		c := line[i]
		if !inq && c == 'N' && strings.HasPrefix(line[i:end], tag) && strings.IndexByte("=),:", prev) >= 0 {
			j := i + len(tag)
			for j < end && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			if j < end && line[j] == ':' {
				j++
				for j < end && (line[j] == ' ' || line[j] == '\t') {
					j++
				}
				i, prev = j, ':'
				continue
			}
		}
		switch {
		case c == '\\' && i+1 < end:
			b.WriteString(line[i : i+2])
			i += 2
			prev = line[i-1]
			continue
		case c == '\\':
			// The continuation backslash: prev stays what came before.
			b.WriteByte(c)
			i++
			continue
		case c == '"':
			inq = !inq
		}
		b.WriteByte(c)
		if c != ' ' && c != '\t' && c != '\r' {
			prev = c
		}
		i++
	}
	b.WriteString(line[end:])
	return b.String(), prev
}
