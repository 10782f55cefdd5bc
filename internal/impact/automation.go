package impact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Automation is a scheduled job, a unit command or a script one of them
// runs that switches accounts: through sudo (a NOPASSWD grant keeps it
// working), su or runuser (the target account's shell and account checks
// keep it working).
type Automation struct {
	Kind   string `json:"kind"` // cron, unit
	File   string `json:"file"` // where the call is written
	Line   int    `json:"line,omitempty"`
	Unit   string `json:"unit,omitempty"`
	RunsAs string `json:"runs_as"` // the account that runs the job
	Tool   string `json:"tool"`    // sudo, su, runuser
	Target string `json:"target"`  // the account switched to
	// NonInteractive is sudo -n: it fails instead of asking a password.
	NonInteractive bool `json:"non_interactive,omitempty"`
	// LoginShell is set when the target account's own shell runs the
	// command (su and runuser without -s, sudo -i): a nologin shell
	// breaks it.
	LoginShell bool   `json:"login_shell,omitempty"`
	Command    string `json:"command,omitempty"`
	// Active is set for cron entries and for units that are enabled or
	// started by an enabled timer.
	Active bool   `json:"active"`
	Via    string `json:"via,omitempty"` // the cron line or unit that runs the script
}

// String renders "cron /etc/cron.d/pgdump:3 (as root): su - postgres -c ...".
func (a Automation) String() string {
	where := a.File
	if a.Line > 0 {
		where += fmt.Sprintf(":%d", a.Line)
	}
	s := a.Kind + " " + where
	if a.Unit != "" && a.Kind == "unit" {
		s = "unit " + a.Unit + " (" + where + ")"
	}
	if a.Via != "" {
		s += ", run by " + a.Via
	}
	s += " as " + a.RunsAs + ": " + a.call()
	if !a.Active {
		s += " (not enabled)"
	}
	return s
}

func (a Automation) call() string {
	c := a.Tool
	if a.NonInteractive {
		c += " -n"
	}
	if a.Tool != "sudo" || a.Target != "root" {
		c += " to " + a.Target
	}
	if a.Command != "" {
		c += " " + a.Command
	}
	return clip(c, 160)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// Bounds on automation: crontabs, unit commands and the scripts they call
// are target content.
const (
	maxCrontabs       = 512
	maxScripts        = 512
	maxScriptSize     = 256 << 10
	maxAutomation     = 4096
	maxPrograms       = 20000
	maxProgramWhere   = 4
	maxShellWords     = 4096
	maxShellDepth     = 3
	maxAutomationLine = 8 << 10
)

// switchCall is one sudo, su or runuser in a command line.
type switchCall struct {
	tool, target, command      string
	nonInteractive, loginShell bool
}

// shellCommands splits a shell command line into simple commands (word
// lists): quotes and backslashes are honoured, and ; & | && || ( ) ` $(
// and newlines separate commands. It is a reading aid, not a shell:
// expansions are left as they are.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var cur []string
	var w strings.Builder
	inWord := false
	words := 0
	flushWord := func() {
		if inWord {
			cur = append(cur, w.String())
			w.Reset()
			inWord = false
			words++
		}
	}
	flushCmd := func() {
		flushWord()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
			cur = nil
		}
	}
	for i := 0; i < len(line) && words < maxShellWords; i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			w.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				w.WriteByte(line[i])
			}
			inWord = true
		case c == ' ' || c == '\t':
			flushWord()
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`' || c == '\n' || c == '{' && !inWord:
			flushCmd()
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			flushCmd()
			i++
		case c == '#' && !inWord:
			flushCmd()
			return cmds // a comment to the end of the line
		case c == '<' || c == '>':
			if inWord && strings.Trim(w.String(), "0123456789") == "" {
				w.Reset() // the descriptor of "2>&1"
				inWord = false
			}
			flushWord()
			// A redirection target is not a command word: skip it.
			for i+1 < len(line) && (line[i+1] == '>' || line[i+1] == '&' || line[i+1] == '<') {
				i++
			}
			for i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t') {
				i++
			}
			for i+1 < len(line) && !strings.ContainsRune(" \t;&|()`<>", rune(line[i+1])) {
				i++
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

// wrappers run their arguments as a command; the value is how many
// leading non-option arguments they take first.
var wrappers = map[string]int{
	"exec": 0, "nohup": 0, "command": 0, "time": 0, "setsid": 0, "chronic": 0,
	"env": 0, "nice": 0, "ionice": 0, "stdbuf": 0, "timeout": 1, "flock": 1, "xargs": 0,
}

// shells run "-c STRING".
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true}

// commandStart returns the index of the program word of a simple
// command, past assignments and wrappers.
func commandStart(w []string) int {
	i := 0
	for i < len(w) {
		word := w[i]
		if eq := strings.IndexByte(word, '='); eq > 0 && !strings.ContainsAny(word[:eq], "/-") {
			i++ // VAR=value
			continue
		}
		skip, ok := wrappers[path.Base(word)]
		if !ok {
			return i
		}
		i++
		for i < len(w) {
			switch {
			case strings.HasPrefix(w[i], "-"), strings.Contains(w[i], "=") && path.Base(word) == "env":
			case numeric(w[i]) && strings.HasPrefix(w[i-1], "-"):
				// nice -n 10, ionice -c 3, timeout -k 5 …
			default:
				i += skip
				goto next
			}
			i++
		}
	next:
	}
	return i
}

func numeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.smhd") == ""
}

// findSwitches returns the sudo, su and runuser calls of a command line
// and the programs it runs.
func findSwitches(line string, depth int) (calls []switchCall, progs []string) {
	if depth > maxShellDepth {
		return nil, nil
	}
	for _, w := range shellCommands(line) {
		i := commandStart(w)
		if i >= len(w) {
			continue
		}
		prog := path.Base(w[i])
		progs = append(progs, w[i])
		args := w[i+1:]
		switch {
		case prog == "sudo":
			c, rest := parseSudoArgs(args)
			calls = append(calls, c)
			if len(rest) > 0 {
				sub, p := findSwitches(quoteWords(rest), depth+1)
				calls, progs = append(calls, sub...), append(progs, p...)
			}
		case prog == "su" || prog == "runuser":
			c, inner := parseSuArgs(prog, args)
			calls = append(calls, c)
			if inner != "" {
				sub, p := findSwitches(inner, depth+1)
				calls, progs = append(calls, sub...), append(progs, p...)
			}
		case shells[prog]:
			for j, a := range args {
				if a == "-c" && j+1 < len(args) {
					sub, p := findSwitches(args[j+1], depth+1)
					calls, progs = append(calls, sub...), append(progs, p...)
					break
				}
			}
		}
	}
	return calls, progs
}

// quoteWords joins words back into a line that shellCommands splits into
// the same words.
func quoteWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		if w == "" || strings.ContainsAny(w, " \t;&|()`$<>'\"\\#{") {
			q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		} else {
			q[i] = w
		}
	}
	return strings.Join(q, " ")
}

// sudo options that take an argument (sudo(8)).
var sudoArgOpts = map[byte]bool{'u': true, 'g': true, 'C': true, 'h': true, 'p': true, 'r': true, 't': true, 'T': true, 'D': true, 'R': true, 'U': true}

// parseSudoArgs reads sudo's options and returns the call and the command.
func parseSudoArgs(args []string) (switchCall, []string) {
	c := switchCall{tool: "sudo", target: "root"}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			switch name {
			case "non-interactive":
				c.nonInteractive = true
			case "login":
				c.loginShell = true
			case "user":
				if !hasVal && i+1 < len(args) {
					i++
					val = args[i]
				}
				c.target = val
			case "group", "close-from", "host", "prompt", "role", "type", "command-timeout", "chdir", "chroot", "other-user":
				if !hasVal {
					i++
				}
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			switch a[j] {
			case 'n':
				c.nonInteractive = true
			case 'i':
				c.loginShell = true
			}
			if sudoArgOpts[a[j]] {
				val := a[j+1:]
				if val == "" && i+1 < len(args) {
					i++
					val = args[i]
				}
				if a[j] == 'u' {
					c.target = val
				}
				break
			}
		}
	}
	rest := args[min(i, len(args)):]
	c.command = clip(strings.Join(rest, " "), maxSudoCommand)
	if strings.HasPrefix(c.target, "#") || c.target == "" {
		c.target = "root" // a uid; only root's is common enough to name
	}
	return c, rest
}

// parseSuArgs reads su's or runuser's options and returns the call and
// the command given with -c.
func parseSuArgs(tool string, args []string) (switchCall, string) {
	c := switchCall{tool: tool, target: "root", loginShell: true}
	user := ""
	var inner string
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-" || a == "-l" || a == "--login":
		case a == "-c" || a == "--command" || a == "--session-command":
			inner = next()
		case strings.HasPrefix(a, "--command=") || strings.HasPrefix(a, "--session-command="):
			_, inner, _ = strings.Cut(a, "=")
		case a == "-s" || a == "--shell":
			next()
			c.loginShell = false
		case strings.HasPrefix(a, "--shell="):
			c.loginShell = false
		case a == "-u" && tool == "runuser":
			user = next()
			c.loginShell = false // runuser -u runs the command itself
		case a == "-g" || a == "-G" || a == "--group" || a == "--supp-group" || a == "-w" || a == "--whitelist-environment":
			next()
		case a == "--":
			if user == "" && i+1 < len(args) {
				user = next()
			}
			if tool == "runuser" && !c.loginShell && i+1 < len(args) {
				inner = quoteWords(args[i+1:])
			}
			i = len(args)
		case strings.HasPrefix(a, "-"):
		case user == "":
			user = a
		}
	}
	if user != "" {
		c.target = user
	}
	c.command = clip(inner, maxSudoCommand)
	return c, inner
}

// collectAutomation reads crontabs, the commands of unit files and the
// scripts they call, keeping the account switches.
func (s *Signals) collectAutomation(ctx context.Context, t target.Target, units []unitExec) error {
	sd := s.sd
	if !s.read(SourceUnits) {
		sd = nil // the unit files do not say what runs: no unit counts as enabled
	}
	ac := &autoCollector{t: t, sd: sd, scripts: map[string]*scriptInfo{}, progs: map[string][]string{}, which: map[string]string{}}
	if err := ac.crontabs(ctx); err != nil {
		return err
	}
	for _, u := range units {
		if err := ctx.Err(); err != nil {
			return err
		}
		ac.unit(u)
	}
	s.addAutomation(ac.out, ac.progs)
	s.addUserCrontabs(ac.userTabs)
	src := Source{Name: "automation", Status: SourceRead, Paths: ac.read}
	var parts []string
	if len(units) > 0 {
		parts = append(parts, fmt.Sprintf("commands of %d unit(s)", len(units)))
	}
	if ac.scriptsRead > 0 {
		parts = append(parts, fmt.Sprintf("%d shell script(s) they run", ac.scriptsRead))
	}
	if sd == nil && len(units) > 0 {
		parts = append(parts, "units not known to run: counted as not enabled")
	}
	src.Detail = strings.Join(parts, ", ")
	if len(ac.problems) > 0 {
		src.Status, src.Detail = SourcePartial, list(ac.problems)
		s.Problems = union(s.Problems, ac.problems)
	}
	if len(ac.read) == 0 && len(units) == 0 {
		src.Status, src.Detail = SourceMissing, "no crontab and no unit with commands"
	}
	s.AddSource(src)
	return nil
}

func (s *Signals) addAutomation(as []Automation, progs map[string][]string) {
	seen := map[Automation]bool{}
	for _, a := range s.Automation {
		seen[a] = true
	}
	for _, a := range as {
		if !seen[a] && len(s.Automation) < maxAutomation {
			seen[a] = true
			s.Automation = append(s.Automation, a)
		}
	}
	if s.programs == nil {
		s.programs = map[string][]string{}
	}
	for p, w := range progs {
		if _, ok := s.programs[p]; !ok && len(s.programs) >= maxPrograms {
			continue
		}
		s.programs[p] = firstN(union(s.programs[p], w), maxProgramWhere)
	}
}

func firstN(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

type autoCollector struct {
	t        target.Target
	sd       *systemd.Config
	out      []Automation
	read     []string // crontabs
	problems []string
	scripts  map[string]*scriptInfo
	// scriptsRead counts the shell scripts read.
	scriptsRead int
	userTabs    []userCrontab
	progs       map[string][]string // program → where it is run
	which       map[string]string   // command name → resolved path
}

type scriptInfo struct {
	calls []scriptCall
	progs []string
}

type scriptCall struct {
	switchCall
	line int
}

// crontab locations: system tables have a user field, spool tables are
// named after their user.
var (
	systemCrontabs = []string{"etc/crontab"}
	systemCronDirs = []string{"etc/cron.d"}
	spoolCronDirs  = []string{"var/spool/cron/crontabs", "var/spool/cron", "var/spool/cron/tabs"}
	runPartsDirs   = []string{"etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly"}
)

// backupName reports files cron ignores or that are package leftovers.
func backupName(n string) bool {
	return strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") || strings.Contains(n, ".dpkg-") || strings.Contains(n, ".rpm") || strings.HasSuffix(n, ".swp") || strings.HasSuffix(n, ".bak") || n == "placeholder" || n == ".placeholder"
}

func (ac *autoCollector) crontabs(ctx context.Context) error {
	type tab struct {
		p      string
		system bool
		owner  string
	}
	var tabs []tab
	for _, p := range systemCrontabs {
		tabs = append(tabs, tab{p: p, system: true})
	}
	list := func(dir string) []string {
		ents, err := ac.t.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
				ac.problems = append(ac.problems, err.Error())
			}
			return nil
		}
		var out []string
		for _, e := range ents {
			if !e.Type.IsDir() && !backupName(e.Name) {
				out = append(out, e.Name)
			}
		}
		return out
	}
	for _, d := range systemCronDirs {
		for _, n := range list(d) {
			tabs = append(tabs, tab{p: d + "/" + n, system: true})
		}
	}
	for _, d := range spoolCronDirs {
		for _, n := range list(d) {
			tabs = append(tabs, tab{p: d + "/" + n, owner: n})
		}
	}
	if len(tabs) > maxCrontabs {
		ac.problems = append(ac.problems, fmt.Sprintf("more than %d crontabs: the rest not read", maxCrontabs))
		tabs = tabs[:maxCrontabs]
	}
	for _, tb := range tabs {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, ok := ac.readSmall(tb.p)
		if !ok {
			continue
		}
		ac.read = append(ac.read, target.Abs(tb.p))
		entries := parseCrontab(b, tb.system, tb.owner)
		if tb.owner != "" && len(entries) > 0 {
			ac.userTabs = append(ac.userTabs, userCrontab{User: tb.owner, File: target.Abs(tb.p), Jobs: len(entries)})
		}
		for _, e := range entries {
			ac.command("cron", target.Abs(tb.p), e.line, "", e.user, e.command, true)
		}
	}
	// Scripts run-parts runs as root from /etc/crontab or anacron.
	for _, d := range runPartsDirs {
		for _, n := range list(d) {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := d + "/" + n
			ac.script("cron", p, "root", "", "", target.Abs(d), true)
		}
	}
	return nil
}

// readSmall reads a regular file of at most maxScriptSize bytes.
func (ac *autoCollector) readSmall(p string) ([]byte, bool) {
	fi, err := ac.t.Stat(p)
	if err != nil || !fi.Mode.IsRegular() {
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
			ac.problems = append(ac.problems, err.Error())
		}
		return nil, false
	}
	if fi.Size > maxScriptSize {
		ac.problems = append(ac.problems, fmt.Sprintf("%s: larger than %d bytes, not read", target.Abs(p), maxScriptSize))
		return nil, false
	}
	b, err := target.ReadFileLimit(ac.t, p, maxScriptSize)
	if err != nil {
		ac.problems = append(ac.problems, err.Error())
		return nil, false
	}
	return b, true
}

// cronEntry is one job of a crontab.
type cronEntry struct {
	line          int
	user, command string
}

// parseCrontab reads crontab(5) content: system tables (/etc/crontab,
// /etc/cron.d) carry a user field, spool tables run as owner. A % ends
// the command (the rest is its standard input).
func parseCrontab(b []byte, system bool, owner string) []cronEntry {
	var out []cronEntry
	n := 0
	_, _ = eachLine(bytes.NewReader(b), maxAutomationLine, maxScriptSize, func(raw []byte) bool {
		n++
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			return true
		}
		f := strings.Fields(line)
		if eq := strings.IndexByte(f[0], '='); eq > 0 || len(f) > 1 && strings.HasPrefix(f[1], "=") {
			return true // VAR=value
		}
		fields := 5
		if strings.HasPrefix(f[0], "@") {
			fields = 1
		}
		if system {
			fields++
		}
		if len(f) <= fields {
			return true
		}
		user := owner
		if system {
			user = f[fields-1]
		}
		// The command is the rest of the line after the fields.
		rest := line
		for i := 0; i < fields; i++ {
			rest = strings.TrimLeft(rest, " \t")
			rest = rest[len(f[i]):]
		}
		rest = strings.TrimSpace(rest)
		if i := unescapedPercent(rest); i >= 0 {
			rest = strings.TrimSpace(rest[:i])
		}
		if rest != "" && len(out) < maxAutomation {
			out = append(out, cronEntry{line: n, user: user, command: rest})
		}
		return true
	})
	return out
}

func unescapedPercent(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '%' {
			return i
		}
	}
	return -1
}

// command records the switches and programs of one job's command line,
// and scans the scripts it runs.
func (ac *autoCollector) command(kind, file string, line int, unit, runsAs, cmd string, active bool) {
	calls, progs := findSwitches(cmd, 0)
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	for _, c := range calls {
		ac.add(Automation{Kind: kind, File: file, Line: line, Unit: unit, RunsAs: runsAs, Tool: c.tool, Target: c.target,
			NonInteractive: c.nonInteractive, LoginShell: c.loginShell, Command: c.command, Active: active})
	}
	for _, p := range progs {
		abs := ac.resolve(p)
		if abs == "" {
			continue
		}
		if active {
			ac.noteProgram(abs, where)
		}
		ac.script(kind, target.Clean(abs), runsAs, unit, where, "", active)
	}
}

func (ac *autoCollector) add(a Automation) {
	if len(ac.out) < maxAutomation {
		ac.out = append(ac.out, a)
	} else {
		ac.once(fmt.Sprintf("more than %d account switches in crontabs, units and scripts: the rest not kept", maxAutomation))
	}
}

// once records a problem a bound caused, once.
func (ac *autoCollector) once(p string) {
	for _, o := range ac.problems {
		if o == p {
			return
		}
	}
	ac.problems = append(ac.problems, p)
}

func (ac *autoCollector) noteProgram(abs, where string) {
	abs = usrMerged(abs)
	if _, ok := ac.progs[abs]; !ok && len(ac.progs) >= maxPrograms {
		return
	}
	if len(ac.progs[abs]) < maxProgramWhere {
		ac.progs[abs] = union(ac.progs[abs], []string{where})
	}
}

// pathDirs is where a command name is looked up (cron's and systemd's
// default PATH).
var pathDirs = []string{"usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"}

// resolve returns the absolute path of a program word, "" when it is
// not found on the target or is an expansion.
func (ac *autoCollector) resolve(word string) string {
	if word == "" || strings.ContainsAny(word, "$*?[`") {
		return ""
	}
	if strings.HasPrefix(word, "/") {
		return path.Clean(word)
	}
	if strings.Contains(word, "/") {
		return ""
	}
	if p, ok := ac.which[word]; ok {
		return p
	}
	p := ""
	for _, d := range pathDirs {
		if fi, err := ac.t.Stat(d + "/" + word); err == nil && fi.Mode.IsRegular() {
			p = target.Abs(d + "/" + word)
			break
		}
	}
	if len(ac.which) < maxPrograms {
		ac.which[word] = p
	}
	return p
}

// script scans a shell script run by a job for switches: one level deep,
// each script read once.
func (ac *autoCollector) script(kind, p, runsAs, unit, via, dir string, active bool) {
	info, ok := ac.scripts[p]
	if !ok {
		if len(ac.scripts) >= maxScripts {
			ac.once(fmt.Sprintf("more than %d scripts run by crontabs and units: the rest not read", maxScripts))
			return
		}
		info = ac.readScript(p)
		ac.scripts[p] = info
	}
	if info == nil {
		return
	}
	if via == "" {
		via = "run-parts " + dir
	}
	for _, c := range info.calls {
		ac.add(Automation{Kind: kind, File: target.Abs(p), Line: c.line, Unit: unit, RunsAs: runsAs, Tool: c.tool, Target: c.target,
			NonInteractive: c.nonInteractive, LoginShell: c.loginShell, Command: c.command, Active: active, Via: via})
	}
	for _, prog := range info.progs {
		if active {
			ac.noteProgram(prog, target.Abs(p))
		}
	}
}

// readScript reads a shell script (a #! line naming a shell); nil for
// anything else.
func (ac *autoCollector) readScript(p string) *scriptInfo {
	fi, err := ac.t.Stat(p)
	if err != nil || !fi.Mode.IsRegular() || fi.Size > maxScriptSize || fi.Size < 3 {
		return nil
	}
	if !ac.shebang(p) {
		return nil // a program, not a shell script: not read in full
	}
	b, err := target.ReadFileLimit(ac.t, p, maxScriptSize)
	if err != nil || !isShellScript(b) {
		return nil
	}
	ac.scriptsRead++
	info := &scriptInfo{}
	n := 0
	_, _ = eachLine(bytes.NewReader(b), maxAutomationLine, maxScriptSize, func(raw []byte) bool {
		n++
		calls, progs := findSwitches(string(raw), 0)
		for _, c := range calls {
			info.calls = append(info.calls, scriptCall{c, n})
		}
		for _, pr := range progs {
			if abs := ac.resolve(pr); abs != "" && len(info.progs) < maxAutomation {
				info.progs = append(info.progs, abs)
			}
		}
		return len(info.calls) < maxAutomation
	})
	return info
}

// shebang reports whether p starts with a #! line naming a shell.
func (ac *autoCollector) shebang(p string) bool {
	rc, err := ac.t.Open(p)
	if err != nil {
		return false
	}
	defer rc.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(rc, head)
	return isShellScript(head[:n])
}

func isShellScript(b []byte) bool {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix(first, []byte("#!")) {
		return false
	}
	f := strings.Fields(string(first[2:]))
	if len(f) == 0 {
		return false
	}
	interp := path.Base(f[0])
	if interp == "env" && len(f) > 1 {
		interp = path.Base(f[1])
	}
	return shells[interp]
}

// unitExec is what a unit's files say about the commands it runs.
type unitExec struct {
	unit, user string
	lines      []execLine
}

type execLine struct {
	file    string
	line    int
	command string
}

// execKeys are the [Service] settings that run commands.
var execKeys = map[string]bool{"ExecStart": true, "ExecStartPre": true, "ExecStartPost": true, "ExecReload": true,
	"ExecStop": true, "ExecStopPost": true, "ExecCondition": true}

// parseUnitExec reads User= and the Exec*= command lines of a unit's
// [Service] section; the command's prefixes (-, @, +, !, :) are dropped.
func parseUnitExec(b []byte, file string) (user string, lines []execLine) {
	eachUnitSetting(b, func(section, k, v string, n int) {
		switch {
		case section != "[Service]":
		case k == "User":
			user = v
		case execKeys[k] && v != "" && len(lines) < 64:
			lines = append(lines, execLine{file: file, line: n, command: strings.TrimLeft(v, "-@+!:|")})
		}
	})
	return user, lines
}

// noteExec keeps the commands of a unit file (or drop-in) read by
// collectUnits.
func (ui *unitInfo) noteExec(unit, p string, b []byte) {
	user, lines := parseUnitExec(b, target.Abs(p))
	if user == "" && len(lines) == 0 {
		return
	}
	for i := range ui.execs {
		if ui.execs[i].unit == unit {
			if user != "" {
				ui.execs[i].user = user
			}
			ui.execs[i].lines = append(ui.execs[i].lines, lines...)
			return
		}
	}
	ui.execs = append(ui.execs, unitExec{unit: unit, user: user, lines: lines})
}

// unit records the switches of one unit's commands.
func (ac *autoCollector) unit(u unitExec) {
	runsAs := u.user
	if runsAs == "" {
		runsAs = "root"
	}
	active := false
	if ac.sd != nil {
		names := []string{u.unit}
		if strings.HasSuffix(u.unit, ".service") {
			names = append(names, strings.TrimSuffix(u.unit, ".service")+".timer")
		}
		for _, n := range names {
			if us, err := ac.sd.State(n); err == nil && us.State == systemd.Enabled {
				active = true
			}
		}
	}
	for _, l := range u.lines {
		ac.command("unit", l.file, l.line, u.unit, runsAs, l.command, active)
	}
}

// automationFor returns the automation that switches to account (as
// target), or that runs as account and calls sudo.
func (s *Signals) automationFor(match func(Automation) bool) (active, inactive []Automation) {
	for _, a := range s.Automation {
		if !match(a) {
			continue
		}
		if a.Active {
			active = append(active, a)
		} else {
			inactive = append(inactive, a)
		}
	}
	sort.SliceStable(active, func(i, j int) bool { return active[i].File < active[j].File })
	return active, inactive
}

func automationText(as []Automation) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

func (s *Signals) addUserCrontabs(us []userCrontab) {
	for _, u := range us {
		if !slices.Contains(s.UserCrontabs, u) && len(s.UserCrontabs) < maxCrontabs {
			s.UserCrontabs = append(s.UserCrontabs, u)
		}
	}
}

// userCrontab is a user's own crontab in the spool.
type userCrontab struct {
	User string `json:"user"`
	File string `json:"file"`
	Jobs int    `json:"jobs"`
}

// schedulerLimit rates an allow list for crontab (root only) by the users
// who have crontabs of their own.
func (s *Signals) schedulerLimit(binary string) (string, []string) {
	if path.Base(binary) != "crontab" {
		return remedy.ImpactNone, nil
	}
	var users []string
	for _, u := range s.UserCrontabs {
		if u.User != "root" {
			users = append(users, fmt.Sprintf("%s (%d job(s), %s)", u.User, u.Jobs, u.File))
		}
	}
	if len(users) > 0 {
		return remedy.ImpactPossible, []string{"users other than root have crontabs, which they could no longer change with crontab (and some cron daemons stop running them): " + list(users)}
	}
	if src := s.sourceStatus("automation"); src.Status != SourceRead {
		return remedy.ImpactNone, []string{"the crontabs were not read completely: " + src.Detail}
	}
	return remedy.ImpactNone, []string{"no user other than root has a crontab"}
}
