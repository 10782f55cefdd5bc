package sudoers

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// The differential test writes seeded random sudoers policies into a
// sandbox of the Debian 12 fixture and compares, for every generated user,
// what cradle evaluates with what the fixture's own sudo (1.9.13) says:
//   - sudo -l -U USER: the "Matching Defaults entries" in order;
//   - sudo -ll -U USER: every "Sudoers entry" (run-as users and groups,
//     options from the tags, commands with Cmnd_Aliases expanded);
//   - sudo -n /usr/bin/true run as USER: allowed without a password,
//     password required, or refused — the question the checks ask.
//
// The generator covers the traps: aliases of every type, nested and
// negated, a Cmnd_Alias that is ALL, Defaults scoped to users, groups,
// hosts, run-as users and commands in any order, tags carried over a new
// Runas_Spec, several host groups on one line, @include, #includedir and
// @includedir with names sudo skips ("x.conf", "x~").
//
// CRADLE_DIFF_SEED and CRADLE_SUDO_DIFF_CASES override the seed and the
// number of cases.

var diffUsers = []struct {
	name   string
	uid    int
	groups []string // primary first
}{
	{"ann", 3001, []string{"ann", "ops"}},
	{"ben", 3002, []string{"ben", "ops", "dev"}},
	{"cat", 3003, []string{"cat", "dev"}},
	{"dan", 3004, []string{"dan"}},
}

type sudoGen struct {
	r    *rand.Rand
	host string
}

func (g *sudoGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *sudoGen) userItem() string {
	return g.pick("ann", "ben", "cat", "dan", "%ops", "%dev", "#3003", "UA", "UB", "ALL")
}

func (g *sudoGen) userList() string {
	items := []string{g.userItem()}
	if g.r.IntN(2) == 0 {
		x := g.userItem()
		if g.r.IntN(2) == 0 {
			x = "!" + x
		}
		items = append(items, x)
	}
	return strings.Join(items, ", ")
}

func (g *sudoGen) hostList() string {
	return g.pick("ALL", "ALL", g.host, "HA", "otherhost", "ALL, !otherhost", "ALL, !"+g.host, "HB")
}

var diffCmnds = []string{"/usr/bin/true", "/usr/bin/id", "/usr/bin/ls", "/usr/bin/", "/usr/sbin/", "/usr/bin/true \"\"", "/usr/bin/true -x", "ALL", "CA", "CB", "CALL"}

func (g *sudoGen) cmnd() string {
	c := diffCmnds[g.r.IntN(len(diffCmnds))]
	if g.r.IntN(4) == 0 {
		c = "!" + c
	}
	return c
}

var diffTags = []string{"NOPASSWD", "PASSWD", "SETENV", "NOSETENV", "NOEXEC", "EXEC"}

func (g *sudoGen) spec() string {
	var b strings.Builder
	b.WriteString(g.userList() + " " + g.hostList() + " = ")
	for grp := 0; grp < 1+g.r.IntN(2); grp++ {
		if grp > 0 {
			b.WriteString(" : " + g.hostList() + " = ")
		}
		n := 1 + g.r.IntN(3)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if g.r.IntN(3) == 0 {
				b.WriteString("(" + g.pick("root", "ALL", "RA", "ALL : ALL", "root : adm", "ann", "root, ann") + ") ")
			}
			if g.r.IntN(2) == 0 {
				b.WriteString(diffTags[g.r.IntN(len(diffTags))] + ": ")
			}
			b.WriteString(g.cmnd())
		}
	}
	return b.String()
}

func (g *sudoGen) defaults() string {
	binding := g.pick("", "", "", ":ann", ":%ops", ":UA", ":ALL", ":!ben", "@"+g.host, "@otherhost", "@HA", ">root", ">RA", ">ann", "!/usr/bin/true", "!CA", "!CALL")
	var items []string
	for i := 0; i < 1+g.r.IntN(2); i++ {
		switch g.r.IntN(6) {
		case 0, 1, 2:
			items = append(items, g.pick("", "!")+"authenticate")
		case 3:
			items = append(items, g.pick("", "!")+g.pick("use_pty", "env_reset", "visiblepw", "mail_badpass"))
		case 4:
			items = append(items, "timestamp_timeout="+strconv.Itoa(g.r.IntN(30)-1))
		default:
			items = append(items, "env_keep"+g.pick("=", "+=", "-=")+g.pick("FOO", "BAR"))
		}
	}
	return "Defaults" + binding + " " + strings.Join(items, ", ")
}

// aliases defines every alias the generator refers to, nested and negated.
func (g *sudoGen) aliases() string {
	cmnds := func() string {
		var c []string
		for i := 0; i < 1+g.r.IntN(3); i++ {
			c = append(c, g.pick("", "", "!")+g.pick("/usr/bin/true", "/usr/bin/id", "/usr/bin/ls", "/usr/bin/", "ALL"))
		}
		return strings.Join(c, ", ")
	}
	return strings.Join([]string{
		"User_Alias UA = " + g.pick("ann", "%ops", "ann, ben", "ALL, !dan", "#3002"),
		"User_Alias UB = " + g.pick("UA, cat", "!UA", "%dev, !ben", "dan"),
		"Host_Alias HA = " + g.pick(g.host, "otherhost", g.host+", otherhost", "ALL, !"+g.host),
		"Host_Alias HB = " + g.pick("HA", "!HA, ALL", "otherhost"),
		"Runas_Alias RA = " + g.pick("root", "root, ann", "ann", "ALL"),
		"Cmnd_Alias CA = " + cmnds(),
		"Cmnd_Alias CB = " + g.pick("CA", "!CA", "CA, /usr/bin/id", "/usr/bin/true, !CA"),
		"Cmnd_Alias CALL = " + g.pick("ALL", "CB", "!CB", "/usr/bin/ls"),
	}, "\n") + "\n"
}

// files returns the sudoers.d files (and extra includes) of one case.
func (g *sudoGen) files() map[string]string {
	lines := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if g.r.IntN(2) == 0 {
				b.WriteString(g.defaults() + "\n")
			} else {
				b.WriteString(g.spec() + "\n")
			}
		}
		return b.String()
	}
	f := map[string]string{
		"etc/sudoers.d/00-aliases": g.aliases(),
		"etc/sudoers.d/10-a":       lines(1 + g.r.IntN(4)),
		"etc/sudoers.d/20-b":       lines(1 + g.r.IntN(4)),
		// sudo skips names containing '.' or ending in '~'.
		"etc/sudoers.d/30-skip.conf": lines(2),
		"etc/sudoers.d/40-skip~":     lines(2),
	}
	switch g.r.IntN(3) {
	case 0:
		f["etc/sudoers.d/10-a"] += "@include /etc/sudoers.extra\n" + lines(1)
		f["etc/sudoers.extra"] = lines(1 + g.r.IntN(3))
	case 1:
		f["etc/sudoers.d/20-b"] += "#includedir /etc/sudoers.more\n" + lines(1)
		f["etc/sudoers.more/a"] = lines(1 + g.r.IntN(3))
		f["etc/sudoers.more/b.bak"] = lines(1)
	}
	return f
}

func TestDifferentialSudo(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/sudo") {
		targettest.Missing(t, "the fixture has no sudo")
	}
	seed := targettest.Seed(t, 10)
	cases := 30
	if v := os.Getenv("CRADLE_SUDO_DIFF_CASES"); v != "" {
		cases, _ = strconv.Atoi(v)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	// Accounts: a '*' shadow field passes PAM's account stage, so sudo -n
	// reaches the authentication decision.
	passwd, group, shadow := readOr(s.Root, "etc/passwd"), readOr(s.Root, "etc/group"), readOr(s.Root, "etc/shadow")
	members := map[string][]string{}
	for _, u := range diffUsers {
		passwd += fmt.Sprintf("%s:x:%d:%d::/nonexistent:/bin/sh\n", u.name, u.uid, u.uid)
		shadow += u.name + ":*:19000:0:99999:7:::\n"
		for _, g := range u.groups[1:] {
			members[g] = append(members[g], u.name)
		}
	}
	for _, u := range diffUsers {
		group += fmt.Sprintf("%s:x:%d:\n", u.name, u.uid)
	}
	for i, g := range []string{"ops", "dev"} {
		group += fmt.Sprintf("%s:x:%d:%s\n", g, 3100+i, strings.Join(members[g], ","))
	}
	s.Write(t, "etc/passwd", passwd, 0o644)
	s.Write(t, "etc/group", group, 0o644)
	s.Write(t, "etc/shadow", shadow, 0o640)
	s.Write(t, "etc/hosts", readOr(s.Root, "etc/hosts")+"127.0.1.1 "+host+"\n", 0o644)

	ctx := t.Context()
	tg, err := target.OpenRootFS(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < cases; c++ {
		g := &sudoGen{r: rand.New(rand.NewPCG(seed, uint64(c))), host: host}
		files := g.files()
		s.Remove(t, "etc/sudoers.d")
		s.Remove(t, "etc/sudoers.extra")
		s.Remove(t, "etc/sudoers.more")
		var all strings.Builder
		for _, name := range slices.Sorted(maps.Keys(files)) {
			s.Write(t, name, files[name], 0o440)
			fmt.Fprintf(&all, "==> /%s\n%s", name, files[name])
		}
		p, err := Collect(ctx, tg)
		if err != nil {
			t.Fatalf("seed %d case %d: Collect: %v\n%s", seed, c, err, all.String())
		}
		for _, u := range diffUsers {
			pr := Principal{User: u.name, UID: u.uid, Groups: u.groups, Host: host}
			fail := func(what, got, want string) {
				t.Helper()
				t.Errorf("seed %d case %d (CRADLE_DIFF_SEED=%d), user %s: %s differ\ncradle:\n%s\nsudo:\n%s\nconfiguration:\n%s", seed, c, seed, u.name, what, got, want, all.String())
			}
			out, errOut, err := s.Run(ctx, "sudo", "-l", "-U", u.name)
			if err != nil && !strings.Contains(string(out), "is not allowed to run sudo") {
				t.Fatalf("seed %d case %d: sudo -l -U %s: %v\n%s%s\n%s", seed, c, u.name, err, out, errOut, all.String())
			}
			// sudo lists the Defaults only to a user it lets run something.
			var defs []Default
			if len(p.Privileges(pr)) > 0 {
				defs = p.Matching(pr)
			}
			if got, want := renderDefaults(defs), sudoDefaults(string(out)); got != want {
				fail("matching Defaults", got, want)
			}
			out, _, _ = s.Run(ctx, "sudo", "-ll", "-U", u.name)
			if got, want := renderEntries(p, p.Privileges(pr)), sudoEntries(string(out)); got != want {
				fail("sudo -ll entries", got, want)
			}
			_, errOut, err = s.Run(ctx, "setpriv", "--reuid="+strconv.Itoa(u.uid), "--regid="+strconv.Itoa(u.uid), "--init-groups", "sudo", "-n", "/usr/bin/true")
			d := p.Lookup(pr, Principal{User: "root", Groups: []string{"root"}}, "/usr/bin/true")
			got, want := "refused", "refused"
			switch {
			case d.Allowed && d.Password:
				got = "password required (" + d.By + ")"
			case d.Allowed:
				got = "allowed without password (" + d.By + ")"
			}
			switch {
			case err == nil:
				want = "allowed without password"
			case strings.Contains(string(errOut), "a password is required"):
				want = "password required"
			}
			// A refused command still asks for the password first when
			// authentication is on, so only allowed outcomes name it.
			if !d.Allowed && want != "allowed without password" {
				want = "refused"
			}
			if before, _, _ := strings.Cut(got, " ("); before != want {
				fail("sudo -n /usr/bin/true", got, want+"\n"+string(errOut))
			}
		}
	}
}

func readOr(root, rel string) string {
	b, _ := os.ReadFile(root + "/" + rel)
	return string(b)
}

// sudoQuote renders a Defaults value as sudo -l does: backslash before
// the characters sudoers would parse specially, double quotes around a
// value with blanks.
func sudoQuote(v string) string {
	var b strings.Builder
	for _, c := range v {
		if strings.ContainsRune(`:\,=#"`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	if strings.ContainsAny(v, " \t") {
		return `"` + b.String() + `"`
	}
	return b.String()
}

func renderDefaults(ds []Default) string {
	var out []string
	for _, d := range ds {
		switch {
		case d.Negated:
			out = append(out, "!"+d.Name)
		case d.Op != "":
			out = append(out, d.Name+d.Op+sudoQuote(d.Value))
		default:
			out = append(out, d.Name)
		}
	}
	return strings.Join(out, "\n")
}

// sudoDefaults extracts the "Matching Defaults entries" of sudo -l.
func sudoDefaults(out string) string {
	_, rest, ok := strings.Cut(out, "Matching Defaults entries for ")
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, "\n")
	block, _, _ := strings.Cut(rest, "\n\n")
	var items []string
	var cur strings.Builder
	esc, inq := false, false
	for _, c := range strings.Join(strings.Fields(block), " ") {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inq = !inq
		case c == ',' && !inq:
			items = append(items, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteRune(c)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		items = append(items, s)
	}
	return strings.Join(items, "\n")
}

// tagOptions are sudo -ll's names for the tags, in its order.
var tagOptions = []struct{ on, off, opt string }{
	{"SETENV", "NOSETENV", "setenv"},
	{"NOEXEC", "EXEC", "noexec"},
	{"PASSWD", "NOPASSWD", "authenticate"},
}

// renderEntries renders privileges as sudo -ll's "Sudoers entry" blocks:
// one per run of Cmnd_Specs of one privilege with the same run-as and tags.
func renderEntries(p *Policy, specs []*Spec) string {
	var b strings.Builder
	var prev *Spec
	for _, s := range specs {
		// A new entry starts at a written Runas_Spec or when a tag that is
		// set differs from the one before (unset tags change nothing).
		same := prev != nil && prev.File == s.File && prev.Line == s.Line && prev.Priv == s.Priv &&
			prev.RunasSeq == s.RunasSeq && !slices.ContainsFunc(s.Tags, func(t string) bool { return !prev.HasTag(t) })
		if !same {
			b.WriteString("entry\n")
			users, groups := RunasUsers(s.RunAs), RunasGroups(s.RunAs)
			if len(users) == 0 && len(groups) == 0 {
				users = []string{"root"}
			}
			if len(users) > 0 {
				b.WriteString("RunAsUsers: " + strings.Join(p.ExpandAliases("Runas", users), ", ") + "\n")
			}
			if len(groups) > 0 {
				b.WriteString("RunAsGroups: " + strings.Join(p.ExpandAliases("Runas", groups), ", ") + "\n")
			}
			var opts []string
			for _, o := range tagOptions {
				switch {
				case s.HasTag(o.on):
					opts = append(opts, o.opt)
				case s.HasTag(o.off):
					opts = append(opts, "!"+o.opt)
				}
			}
			if len(opts) > 0 {
				b.WriteString("Options: " + strings.Join(opts, ", ") + "\n")
			}
		}
		for _, c := range p.Expand(s.Commands) {
			b.WriteString("cmd " + c + "\n")
		}
		prev = s
	}
	return b.String()
}

// sudoEntries normalises sudo -ll's "Sudoers entry" blocks like
// renderEntries.
func sudoEntries(out string) string {
	var b strings.Builder
	blocks := strings.Split(out, "\nSudoers entry:")
	for _, blk := range blocks[1:] {
		b.WriteString("entry\n")
		for _, l := range strings.Split(blk, "\n") {
			switch {
			case strings.HasPrefix(l, "\t"):
				b.WriteString("cmd " + strings.TrimSpace(l) + "\n")
			case strings.TrimSpace(l) == "" || strings.TrimSpace(l) == "Commands:":
			default:
				b.WriteString(strings.TrimSpace(l) + "\n")
			}
		}
	}
	return b.String()
}
