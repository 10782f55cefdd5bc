package modprobe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

var (
	diffModules = []string{"cramfs", "usb-storage", "usb_storage", "hfs", "hfsplus", "dccp", "sctp", "firewire-core"}
	diffInstall = []string{"/bin/false", "/bin/true", "/sbin/modprobe --ignore-install %s", "/bin/false; /sbin/modprobe --ignore-install %s", "exec  /usr/bin/false", "/bin/true   # disabled"}
)

// genModprobe writes random modprobe.d files into the sandbox and returns
// them.
func genModprobe(t *testing.T, s *targettest.Sandbox, r *rand.Rand) []string {
	dirs := []string{"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d"}
	names := []string{"10-a.conf", "blacklist.conf", "cis.conf", "systemd.conf", "z.alias", ".hidden.conf", "notes.txt", "b.conf"}
	var made []string
	for range 1 + r.IntN(5) {
		rel := dirs[r.IntN(len(dirs))] + "/" + names[r.IntN(len(names))]
		made = append(made, rel)
		s.Remove(t, rel)
		if r.IntN(10) == 0 {
			s.Mkdir(t, path.Dir(rel), 0o755)
			if err := os.Symlink("/dev/null", s.Root+"/"+rel); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var b strings.Builder
		for range 1 + r.IntN(8) {
			m := diffModules[r.IntN(len(diffModules))]
			ind := []string{"", " ", "\t"}[r.IntN(3)]
			sp := []string{" ", "  ", "\t"}[r.IntN(3)]
			switch r.IntN(11) {
			case 0, 1, 2:
				cmd := diffInstall[r.IntN(len(diffInstall))]
				if strings.Contains(cmd, "%s") {
					cmd = fmt.Sprintf(cmd, m)
				}
				verb := "install"
				if r.IntN(8) == 0 {
					verb = "Install"
				}
				fmt.Fprintf(&b, "%s%s%s%s%s%s\n", ind, verb, sp, m, sp, cmd)
			case 3, 4:
				fmt.Fprintf(&b, "%sblacklist%s%s\n", ind, sp, m)
			case 5:
				fmt.Fprintf(&b, "alias%smy-alias-%d%s%s\n", sp, r.IntN(3), sp, m)
			case 6:
				fmt.Fprintf(&b, "options%s%s%sparam=%d\n", sp, m, sp, r.IntN(9))
			case 7:
				fmt.Fprintf(&b, "softdep %s pre: crc32c-generic post: %s\n", m, diffModules[r.IntN(len(diffModules))])
			case 8:
				// A continued line.
				fmt.Fprintf(&b, "install %s /bin/false \\\n  ; /sbin/modprobe --ignore-install %s\n", m, m)
			case 9:
				fmt.Fprintf(&b, "# install %s /bin/false\n", m)
			default:
				b.WriteString("blacklist\n")
			}
		}
		s.Write(t, rel, b.String(), 0o644)
	}
	return made
}

// render prints the configuration as `modprobe -c` does: blacklists,
// install and remove commands, aliases, options, softdeps, each in file
// order, whitespace collapsed for comparison.
func render(c *Config) []string {
	var out []string
	for _, verb := range []string{"blacklist", "install", "remove", "alias", "options", "softdep"} {
		for _, cmd := range c.Commands {
			if cmd.Verb != verb {
				continue
			}
			l := verb + " " + cmd.Module
			switch verb {
			case "alias":
				l += " " + Normalize(cmd.Args[0])
			case "blacklist":
			default:
				l += " " + cmd.Rest()
			}
			out = append(out, squash(l, verb))
		}
	}
	return out
}

// squash collapses whitespace; softdep lines lose all of it, as modprobe
// -c prints them without a space between the pre: and post: lists.
func squash(l, verb string) string {
	if verb == "softdep" {
		return strings.Join(strings.Fields(l), "")
	}
	return strings.Join(strings.Fields(l), " ")
}

// TestModprobeDifferential compares cradle's modprobe.d reading with the
// fixture's own kmod on seeded random layouts: the whole configuration as
// `modprobe -c` prints it (files read, shadowing, masks, order, names
// normalised, bad lines skipped), and the install command `modprobe -n -v`
// would run for each module (the first match wins). CRADLE_DIFF_SEED and
// CRADLE_MODPROBE_CASES override the seed and the number of cases.
func TestModprobeDifferential(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/kmod") {
		targettest.Missing(t, "the fixture has no kmod")
	}
	seed, cases := targettest.Seed(t, 20261205), 30
	if v, err := strconv.Atoi(os.Getenv("CRADLE_MODPROBE_CASES")); err == nil {
		cases = v
	}
	ctx := context.Background()
	agree, installs := 0, 0
	for i := range cases {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		made := genModprobe(t, s, r)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("seed %d case %d: "+format, append([]any{seed, i}, args...)...)
			for _, f := range made {
				b, _ := os.ReadFile(s.Root + "/" + f)
				t.Logf("%s:\n%s", f, b)
			}
			t.FailNow()
		}
		// One program run per case: modprobe -c, then modprobe -n -v for
		// each module, separated by marker lines.
		script := "modprobe -c || exit 3; for m in " + strings.Join(diffModules, " ") + "; do echo '#@@'; modprobe -n -v $m 2>/dev/null; done; exit 0"
		all, stderr, err := s.Run(ctx, "sh", "-c", script)
		if err != nil {
			fail("modprobe -c: %v\n%s", err, stderr)
		}
		parts := strings.Split(string(all), "#@@\n")
		if len(parts) != len(diffModules)+1 {
			fail("unexpected output:\n%s", all)
		}
		out := []byte(parts[0])
		var want []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "# End of configuration files") {
				break
			}
			if f := strings.Fields(l); len(f) > 0 {
				want = append(want, squash(l, f[0]))
			}
		}
		tg, err := target.OpenRootFS(s.Root)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Collect(ctx, tg)
		tg.Close()
		if err != nil {
			fail("%v", err)
		}
		if got := render(c); strings.Join(got, "\n") != strings.Join(want, "\n") {
			fail("modprobe -c:\n%s\ncradle:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
		for mi, m := range diffModules {
			if hasSoftdep(c, m) {
				// modprobe -n -v then prints its dependencies' commands
				// in place of the module's own.
				continue
			}
			o := parts[mi+1]
			kmodCmd, hasKmod := strings.CutPrefix(strings.TrimSpace(string(o)), "install ")
			cmd, has := c.Install(m)
			// modprobe -n -v prints the module's options after the command.
			wantCmd := cmd.Rest()
			for _, o := range c.Commands {
				if o.Verb == "options" && o.Module == Normalize(m) {
					wantCmd += " " + o.Rest()
				}
			}
			if has != hasKmod || has && squash(wantCmd, "") != squash(kmodCmd, "") {
				fail("modprobe -n -v %s: %q; cradle %v %q", m, o, has, cmd.Rest())
			}
			if has {
				installs++
			}
		}
		agree++
		for _, f := range made {
			s.Remove(t, f)
		}
	}
	t.Logf("seed %d: kmod and cradle agree on %d of %d layouts (%d install lookups with a command)", seed, agree, cases, installs)
}

func hasSoftdep(c *Config, m string) bool {
	for _, cmd := range c.Commands {
		if cmd.Verb == "softdep" && cmd.Module == Normalize(m) {
			return true
		}
	}
	return false
}
