package sysctl

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func tree(t *testing.T, files map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, files)
}

func TestParse(t *testing.T) {
	in := `# comment
; also a comment
kernel.randomize_va_space = 2
net/ipv4/conf/eth0.100/rp_filter=1
-net.ipv4.conf.all.bc_forwarding = 0
  kernel.printk =	4 4  1 7
net.ipv4.conf.*.rp_filter = 2
-net.ipv4.conf.lo.rp_filter
garbage line
`
	want := []Line{
		{Num: 3, Key: "kernel.randomize_va_space", Value: "2"},
		{Num: 4, Key: "net.ipv4.conf.eth0/100.rp_filter", Value: "1"},
		{Num: 5, Key: "net.ipv4.conf.all.bc_forwarding", Value: "0", IgnoreFailure: true},
		{Num: 6, Key: "kernel.printk", Value: "4 4 1 7"},
		{Num: 7, Key: "net.ipv4.conf.*.rp_filter", Value: "2", Glob: true},
		{Num: 8, Key: "net.ipv4.conf.lo.rp_filter", Exclude: true},
	}
	if got := Parse([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}
}

func TestNormalizeKey(t *testing.T) {
	tests := map[string]string{
		"kernel.yama.ptrace_scope":          "kernel.yama.ptrace_scope",
		"kernel/yama/ptrace_scope":          "kernel.yama.ptrace_scope",
		"/net/ipv4/conf/eth0.100/rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
		"net.ipv4..ip_forward.":             "net.ipv4.ip_forward",
	}
	for in, want := range tests {
		if got := NormalizeKey(in); got != want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", in, got, want)
		}
	}
	if p := ProcPath("net.ipv4.conf.eth0/100.rp_filter"); p != "proc/sys/net/ipv4/conf/eth0.100/rp_filter" {
		t.Errorf("ProcPath = %s", p)
	}
}

// debianLayout mirrors Debian 12: merged /usr, 99-sysctl.conf -> ../sysctl.conf.
func debianLayout(extra map[string]string) map[string]string {
	m := map[string]string{
		"lib":                                    "->usr/lib",
		"usr/lib/sysctl.d/50-pid-max.conf":       "kernel.pid_max = 4194304\n",
		"usr/lib/sysctl.d/99-protect-links.conf": "fs.protected_fifos = 1\nfs.protected_hardlinks = 1\nfs.protected_regular = 2\nfs.protected_symlinks = 1\n",
		"etc/sysctl.d/99-sysctl.conf":            "->../sysctl.conf",
		"etc/sysctl.d/README.sysctl":             "kernel.sysrq = 1\n",
		"etc/sysctl.conf":                        "#kernel.domainname = example.com\n",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestCollectPrecedence(t *testing.T) {
	tg := tree(t, debianLayout(map[string]string{
		"etc/sysctl.conf":                      "fs.protected_regular = 1\nkernel.kptr_restrict=1\n",
		"etc/sysctl.d/60-cra.conf":             "kernel.kptr_restrict = 2\nnet.ipv4.conf.*.rp_filter = 1\n-net.ipv4.conf.lo.rp_filter\n",
		"etc/sysctl.d/50-pid-max.conf":         "kernel.pid_max = 32768\n",
		"run/sysctl.d/70-masked.conf":          "kernel.dmesg_restrict = 0\n",
		"etc/sysctl.d/70-masked.conf":          "->/dev/null",
		"usr/local/lib/sysctl.d/10-local.conf": "net.ipv4.conf.default.rp_filter = 2\n",
	}))
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want, file string
		line            int
		ok              bool
	}{
		// /etc/sysctl.conf is read as 99-sysctl.conf: after 60-cra.conf.
		{"kernel.kptr_restrict", "1", "/etc/sysctl.conf", 2, true},
		{"fs.protected_regular", "1", "/etc/sysctl.conf", 1, true},
		{"fs.protected_symlinks", "1", "/usr/lib/sysctl.d/99-protect-links.conf", 4, true},
		{"kernel.pid_max", "32768", "/etc/sysctl.d/50-pid-max.conf", 1, true},
		{"kernel.dmesg_restrict", "", "", 0, false},
		{"net.ipv4.conf.eth0.rp_filter", "1", "/etc/sysctl.d/60-cra.conf", 2, true},
		{"net.ipv4.conf.default.rp_filter", "2", "/usr/local/lib/sysctl.d/10-local.conf", 1, true},
		{"net.ipv4.conf.lo.rp_filter", "", "", 0, false},
		{"kernel.sysrq", "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			a, ok := c.Persisted(tt.key)
			if ok != tt.ok || a.Value != tt.want || a.File != tt.file || a.Num != tt.line {
				t.Errorf("Persisted = %+v %v, want %s at %s:%d", a, ok, tt.want, tt.file, tt.line)
			}
		})
	}
	if want := "/etc/sysctl.conf"; c.Files[len(c.Files)-1] != want {
		t.Errorf("files %v: want %s last", c.Files, want)
	}
	for _, f := range c.Files {
		if f == "/lib/sysctl.d/99-protect-links.conf" {
			t.Errorf("merged-usr duplicate read: %v", c.Files)
		}
	}
}

func TestCollectSysctlConfWithoutLink(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/sysctl.conf":        "net.ipv4.ip_forward = 1\n",
		"etc/sysctl.d/90-x.conf": "net.ipv4.ip_forward = 0\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Persisted("net.ipv4.ip_forward"); a.Value != "1" || a.File != "/etc/sysctl.conf" {
		t.Errorf("sysctl.conf not last: %+v", a)
	}
}

func TestDefault(t *testing.T) {
	if v, _ := Default("kernel.dmesg_restrict", []string{"debian"}); v != "1" {
		t.Errorf("debian dmesg_restrict %s", v)
	}
	if v, _ := Default("kernel.dmesg_restrict", []string{"rhel", "fedora"}); v != "0" {
		t.Errorf("rhel dmesg_restrict %s", v)
	}
	if _, ok := Default("kernel.unprivileged_userns_clone", []string{"rhel"}); ok {
		t.Error("rhel has no unprivileged_userns_clone")
	}
}

func TestFixtureTree(t *testing.T) {
	const root = "/var/cache/cradle-fixtures/rootfs-bookworm"
	if _, err := os.Stat(root + "/etc/sysctl.conf"); err != nil {
		t.Skip("debootstrap fixture not built")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := c.Persisted("fs.protected_regular"); !ok || a.Value != "2" || a.File != "/usr/lib/sysctl.d/99-protect-links.conf" {
		t.Errorf("protected_regular %+v", a)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("kernel.randomize_va_space = 2\n-net/ipv4/conf/eth0.1/rp_filter=1\n; c\n-x.*\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range Parse(b) {
			if l.Key == "" || l.Num <= 0 {
				t.Fatalf("bad line %+v", l)
			}
			_ = ProcPath(l.Key)
		}
	})
}

// systemd's 50-default.conf as Fedora and RHEL ship it: globs with "-key"
// exclusions.
const systemdDefault = `# Source route verification
net.ipv4.conf.default.rp_filter = 2
net.ipv4.conf.*.rp_filter = 2
-net.ipv4.conf.all.rp_filter

# Do not accept source routing
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.*.accept_source_route = 0
-net.ipv4.conf.all.accept_source_route

# ping(8) without CAP_NET_ADMIN and CAP_NET_RAW
-net.ipv4.ping_group_range = 0 2147483647

kernel.sysrq = 16
fs.protected_hardlinks = 1
`

func TestCollectRHEL(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/os-release": "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
		"usr/lib/sysctl.d/10-default-yama-scope.conf":  "# see kernel docs\nkernel.yama.ptrace_scope = 0\n",
		"usr/lib/sysctl.d/50-default.conf":             systemdDefault,
		"usr/lib/sysctl.d/50-libkcapi-optmem_max.conf": "net.core.optmem_max = 81920\n",
		"etc/sysctl.d/99-sysctl.conf":                  "->../sysctl.conf",
		"etc/sysctl.conf":                              "# System default settings live in /usr/lib/sysctl.d/00-system.conf.\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want string
		ok        bool
		line      int
	}{
		{"kernel.yama.ptrace_scope", "0", true, 2},
		{"net.ipv4.conf.default.rp_filter", "2", true, 2},
		{"net.ipv4.conf.eth0.rp_filter", "2", true, 3},
		{"net.ipv4.conf.all.rp_filter", "", false, 0},
		{"net.ipv4.conf.all.accept_source_route", "", false, 0},
		{"net.ipv4.ping_group_range", "0 2147483647", true, 12},
		{"kernel.sysrq", "16", true, 14},
	}
	for _, tt := range tests {
		a, ok := c.Persisted(tt.key)
		if ok != tt.ok || a.Value != tt.want || a.Num != tt.line {
			t.Errorf("%s: %+v %v, want %q line %d", tt.key, a, ok, tt.want, tt.line)
		}
	}
}

func TestAliasesAndSideEffects(t *testing.T) {
	tg := tree(t, debianLayout(map[string]string{
		"usr/lib/systemd/systemd-sysctl": "",
		"etc/sysctl.d/10-a.conf":         "net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.accept_redirects = 1\n",
		"etc/sysctl.d/20-b.conf":         "net/ipv4/conf/all/forwarding = 1\n",
		"etc/sysctl.d/30-c.conf":         "net.ipv4.conf.*.send_redirects = 0\nnet.ipv6.conf.all.forwarding = 0\n",
		"etc/sysctl.conf":                "net.ipv4.ip_forward = 0\n",
		"etc/sysctl.d/99-sysctl.conf":    "",
	}))
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want, via string }{
		// One variable, two names: the later file's name wins for both.
		{"net.ipv4.ip_forward", "1", ""},
		{"net.ipv4.conf.all.forwarding", "1", ""},
		// Turning forwarding on sets default.forwarding and clears
		// all.accept_redirects.
		{"net.ipv4.conf.default.forwarding", "1", "net.ipv4.conf.all.forwarding"},
		{"net.ipv4.conf.all.accept_redirects", "0", "net.ipv4.conf.all.forwarding (the kernel sets accept_redirects to the opposite of forwarding)"},
		// A glob written with '.' never crosses into deeper names.
		{"net.ipv4.conf.all.send_redirects", "0", ""},
		// Writing the value a variable has leaves default alone.
		{"net.ipv6.conf.default.forwarding", "", ""},
	}
	for _, tt := range tests {
		a, ok := c.Persisted(tt.key)
		if a.Value != tt.want || ok != (tt.want != "") || a.Via != tt.via {
			t.Errorf("%s: %+v, want %q via %q", tt.key, a, tt.want, tt.via)
		}
	}
	if a, _ := c.Persisted("net.ipv4.ip_forward"); a.File != "/etc/sysctl.d/20-b.conf" {
		t.Errorf("ip_forward from %s", a.File)
	}
	if len(c.Ignored) != 1 {
		t.Errorf("systemd tree without the 99-sysctl.conf link: /etc/sysctl.conf must be ignored: %v", c.Ignored)
	}
	if prev := c.Overridden("net.ipv4.conf.all.forwarding"); len(prev) != 1 || prev[0].Key != "net.ipv4.ip_forward" {
		t.Errorf("Overridden %+v", prev)
	}
}

// FuzzPersisted replays arbitrary sysctl.d content: no panic, and a
// resolved value always comes from a line of the input.
func FuzzPersisted(f *testing.F) {
	f.Add([]byte("net.ipv4.ip_forward = 1\nnet/ipv4/conf/*/forwarding = 0\n-net.ipv4.conf.all.forwarding\nnet.ipv6.conf.all.disable_ipv6=1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &Config{}
		for _, l := range Parse(b) {
			c.Assignments = append(c.Assignments, Assignment{Line: l, File: "/etc/sysctl.d/f.conf"})
		}
		for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.default.forwarding", "net.ipv4.conf.all.accept_redirects", "net.ipv6.conf.default.disable_ipv6", "kernel.sysrq"} {
			if a, ok := c.Persisted(k); ok && (a.Num <= 0 || a.File == "") {
				t.Fatalf("%s resolved from no line: %+v", k, a)
			}
		}
		_ = c.Overridden("net.ipv4.ip_forward")
	})
}
