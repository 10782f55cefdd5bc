package sysctl

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// diffKeys are per-network-namespace variables the differential test
// sets, with the values it may write. Only net.* keys: systemd-sysctl
// runs with --prefix=/net/ in a throwaway network namespace, so the host
// kernel's own settings are never written.
var diffKeys = map[string][]string{
	"net.ipv4.ip_forward":                        {"0", "1"},
	"net.ipv4.conf.all.forwarding":               {"0", "1"},
	"net.ipv4.conf.default.forwarding":           {"0", "1"},
	"net.ipv4.conf.all.rp_filter":                {"0", "1", "2"},
	"net.ipv4.conf.default.rp_filter":            {"0", "1", "2"},
	"net.ipv4.conf.all.accept_redirects":         {"0", "1"},
	"net.ipv4.conf.default.accept_redirects":     {"0", "1"},
	"net.ipv4.conf.all.send_redirects":           {"0", "1"},
	"net.ipv4.conf.default.send_redirects":       {"0", "1"},
	"net.ipv4.conf.all.accept_source_route":      {"0", "1"},
	"net.ipv4.conf.default.accept_source_route":  {"0", "1"},
	"net.ipv4.conf.all.accept_local":             {"0", "1"},
	"net.ipv4.conf.default.route_localnet":       {"0", "1"},
	"net.ipv4.conf.all.arp_ignore":               {"0", "1", "2"},
	"net.ipv4.conf.all.arp_announce":             {"0", "1", "2"},
	"net.ipv4.conf.all.log_martians":             {"0", "1"},
	"net.ipv4.icmp_echo_ignore_broadcasts":       {"0", "1"},
	"net.ipv4.icmp_ignore_bogus_error_responses": {"0", "1"},
	"net.ipv4.tcp_syncookies":                    {"0", "1", "2"},
	"net.ipv4.tcp_rfc1337":                       {"0", "1"},
	"net.ipv6.conf.all.forwarding":               {"0", "1"},
	"net.ipv6.conf.default.forwarding":           {"0", "1"},
	"net.ipv6.conf.all.accept_ra":                {"0", "1", "2"},
	"net.ipv6.conf.default.accept_ra":            {"0", "1", "2"},
	"net.ipv6.conf.all.accept_redirects":         {"0", "1"},
	"net.ipv6.conf.default.autoconf":             {"0", "1"},
	"net.ipv6.conf.all.disable_ipv6":             {"0", "1"},
	"net.ipv6.conf.default.disable_ipv6":         {"0", "1"},
	"net.ipv6.conf.default.max_addresses":        {"1", "16"},
}

// diffGlobs are patterns the generated files use, each with its values.
var diffGlobs = map[string][]string{
	"net.ipv4.conf.*.rp_filter":           {"0", "1", "2"},
	"net/ipv4/conf/*/accept_local":        {"0", "1"},
	"net.ipv4.conf.*.forwarding":          {"0", "1"},
	"net.ipv6.conf.*.forwarding":          {"0", "1"},
	"net.ipv6.conf.*.accept_ra":           {"0", "1", "2"},
	"net.ipv4.conf.[ad]*.send_redirects":  {"0", "1"},
	"net.ipv4.conf.*.accept_source_route": {"0", "1"},
	"net.ipv6.conf.*.disable_ipv6":        {"0", "1"},
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// spell writes key as a file would: dotted, or as a path ('/' separators,
// the interface dots kept).
func spell(r *rand.Rand, key string) string {
	if r.IntN(4) == 0 {
		return strings.TrimPrefix(ProcPath(key), "proc/sys/")
	}
	return key
}

// genLayout writes a random sysctl.d layout into the sandbox and returns
// the files it created.
func genLayout(t *testing.T, s *targettest.Sandbox, r *rand.Rand) []string {
	keys, globs := sortedKeys(diffKeys), sortedKeys(diffGlobs)
	dirs := []string{"etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d"}
	names := []string{"10-a.conf", "50-net.conf", "60-b.conf", "99-protect-links.conf", "99-z.conf", "a.conf", "README"}
	var made []string
	nfiles := 1 + r.IntN(6)
	for range nfiles {
		rel := dirs[r.IntN(len(dirs))] + "/" + names[r.IntN(len(names))]
		made = append(made, rel)
		switch r.IntN(12) {
		case 0:
			s.Remove(t, rel)
			s.Mkdir(t, path.Dir(rel), 0o755)
			if err := os.Symlink("/dev/null", s.Root+"/"+rel); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			continue
		case 1:
			s.Write(t, rel, "", 0o644)
			continue
		}
		var b strings.Builder
		for range 1 + r.IntN(8) {
			ind := []string{"", " ", "\t"}[r.IntN(3)]
			eq := []string{"=", " = ", "= ", " =\t"}[r.IntN(4)]
			switch r.IntN(14) {
			case 0:
				b.WriteString("# net.ipv4.ip_forward = 1\n")
			case 1:
				b.WriteString("; net.ipv4.conf.all.rp_filter = 0\n")
			case 2, 3:
				g := globs[r.IntN(len(globs))]
				vs := diffGlobs[g]
				fmt.Fprintf(&b, "%s%s%s%s\n", ind, g, eq, vs[r.IntN(len(vs))])
			case 4:
				// An exclusion from globs.
				fmt.Fprintf(&b, "%s-%s\n", ind, spell(r, keys[r.IntN(len(keys))]))
			case 5:
				b.WriteString("this line is not an assignment\n")
			default:
				k := keys[r.IntN(len(keys))]
				vs := diffKeys[k]
				dash := ""
				if r.IntN(5) == 0 {
					dash = "-"
				}
				fmt.Fprintf(&b, "%s%s%s%s%s\n", ind, dash, spell(r, k), eq, vs[r.IntN(len(vs))])
			}
		}
		s.Remove(t, rel)
		s.Write(t, rel, b.String(), 0o644)
	}
	// /etc/sysctl.conf, read only through Debian's 99-sysctl.conf link.
	if r.IntN(3) == 0 {
		k := keys[r.IntN(len(keys))]
		s.Write(t, "etc/sysctl.conf", fmt.Sprintf("%s = %s\n", k, diffKeys[k][r.IntN(len(diffKeys[k]))]), 0o644)
		made = append(made, "etc/sysctl.conf")
	}
	if r.IntN(4) == 0 {
		s.Remove(t, "etc/sysctl.d/99-sysctl.conf")
		made = append(made, "etc/sysctl.d/99-sysctl.conf")
	}
	return made
}

// TestSystemdSysctlDifferential generates seeded random sysctl.d layouts
// in a sandbox of the Debian fixture, lets the tree's own systemd-sysctl
// apply them in a throwaway network namespace (unshare -n -m, --prefix
// /net/) and compares every key it reads back from /proc/sys/net with
// cradle's persisted value. CRADLE_DIFF_SEED and CRADLE_SYSCTL_CASES
// override the seed and the number of cases.
func TestSystemdSysctlDifferential(t *testing.T) {
	s := targettest.NewSandbox(t)
	for _, p := range []string{"lib/systemd/systemd-sysctl", "usr/bin/unshare", "bin/mount"} {
		if !s.Has(p) {
			targettest.Missing(t, "the fixture has no %s", p)
		}
	}
	seed, cases := targettest.Seed(t, 20261205), 20
	if v, err := strconv.Atoi(os.Getenv("CRADLE_SYSCTL_CASES")); err == nil {
		cases = v
	}
	hostNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		targettest.Missing(t, "no network namespace: %v", err)
	}
	keys := sortedKeys(diffKeys)
	// Start from the kernel defaults cradle assumes; forwarding first, as
	// writing it changes other variables.
	var init strings.Builder
	for _, k := range append([]string{"net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding", "net.ipv6.conf.all.disable_ipv6"}, keys...) {
		d, ok := Default(k, nil)
		if !ok {
			t.Fatalf("no kernel default for %s", k)
		}
		fmt.Fprintf(&init, "echo %s > /%s || exit 8\n", d, ProcPath(k))
	}
	// One grep prints every "path:value": reading /proc/sys byte by byte
	// (as shell builtins do) truncates values.
	read := "grep -H . "
	byPath := map[string]string{}
	for _, k := range keys {
		read += "/" + ProcPath(k) + " "
		byPath["/"+ProcPath(k)] = k
	}
	script := "mount -t proc proc /proc || exit 9\n" +
		// Refuse to write anything unless this is a new network namespace.
		"[ \"$(readlink /proc/self/ns/net)\" != '" + hostNS + "' ] || exit 7\n" +
		init.String() + "/lib/systemd/systemd-sysctl --prefix=/net/ 2>/dev/null\n" + read + "\n"

	agree := 0
	for i := range cases {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		made := genLayout(t, s, r)
		out, stderr, err := s.Run(context.Background(), "unshare", "-n", "-m", "sh", "-c", script)
		if err != nil {
			t.Fatalf("seed %d case %d: systemd-sysctl in a network namespace: %v\n%s", seed, i, err, stderr)
		}
		got := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			p, v, _ := strings.Cut(l, ":")
			got[byPath[p]] = NormalizeValue(v)
		}
		tg, err := target.OpenRootFS(s.Root)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Collect(context.Background(), tg)
		tg.Close()
		if err != nil {
			t.Fatalf("seed %d case %d: %v", seed, i, err)
		}
		bad := false
		for _, k := range keys {
			want := got[k]
			p, ok := c.Persisted(k)
			mine := p.Value
			if !ok {
				mine, _ = Default(k, nil)
			}
			if mine != want {
				bad = true
				t.Errorf("seed %d case %d: %s: systemd-sysctl %q, cradle %q (%+v)", seed, i, k, want, mine, p)
			}
		}
		if bad {
			for _, f := range made {
				b, _ := os.ReadFile(s.Root + "/" + f)
				l, _ := os.Readlink(s.Root + "/" + f)
				t.Logf("%s (-> %s):\n%s", f, l, b)
			}
			t.FailNow()
		}
		agree++
		for _, f := range made {
			s.Remove(t, f)
		}
		// Restore the fixture's link and sysctl.conf.
		if err := os.Symlink("../sysctl.conf", s.Root+"/etc/sysctl.d/99-sysctl.conf"); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(os.Getenv("CRADLE_TEST_ROOTFS") + "/etc/sysctl.conf"); err == nil {
			s.Write(t, "etc/sysctl.conf", string(b), 0o644)
		}
		if b, err := os.ReadFile(os.Getenv("CRADLE_TEST_ROOTFS") + "/usr/lib/sysctl.d/99-protect-links.conf"); err == nil {
			s.Write(t, "usr/lib/sysctl.d/99-protect-links.conf", string(b), 0o644)
		}
	}
	t.Logf("seed %d: systemd-sysctl and cradle agree on %d of %d layouts (%d keys each)", seed, agree, cases, len(keys))
}
