package modprobe

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func tree(t *testing.T, live bool, files map[string]string) target.Target {
	t.Helper()
	return targettest.Open(t, live, files)
}

func TestParse(t *testing.T) {
	// Debian's /lib/modprobe.d/aliases.conf style plus CIS-style lines.
	in := `# These are the standard aliases
alias char-major-10-175 agpgart
options snd-pcsp index=-2
softdep uhci-hcd pre: ehci-hcd
install cramfs /bin/false
install  usb-storage   /bin/true   # comment-like tail is part of the command
blacklist usb-storage
install dccp /sbin/modprobe --ignore-install dccp \
  && echo loaded
bogus line here
blacklist
`
	want := []Command{
		{Verb: "alias", Module: "char_major_10_175", Args: []string{"agpgart"}, Line: 2},
		{Verb: "options", Module: "snd_pcsp", Args: []string{"index=-2"}, Line: 3},
		{Verb: "softdep", Module: "uhci_hcd", Args: []string{"pre:", "ehci-hcd"}, Line: 4},
		{Verb: "install", Module: "cramfs", Args: []string{"/bin/false"}, Line: 5},
		{Verb: "install", Module: "usb_storage", Args: []string{"/bin/true   # comment-like tail is part of the command"}, Line: 6},
		{Verb: "blacklist", Module: "usb_storage", Args: []string{}, Line: 7},
		{Verb: "install", Module: "dccp", Args: []string{"/sbin/modprobe --ignore-install dccp    && echo loaded"}, Line: 8},
	}
	if got := Parse([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %#v\nwant %#v", got, want)
	}
}

func TestDisables(t *testing.T) {
	tests := map[string]bool{
		"/bin/false":      true,
		"/bin/true":       true,
		"/usr/bin/false":  true,
		"exec /bin/false": true,
		"true":            true,
		"/bin/false; /sbin/modprobe --ignore-install x": false,
		"/sbin/modprobe --ignore-install x":             false,
		"/bin/echo disabled":                            false,
	}
	for cmd, want := range tests {
		if got := Disables(Command{Args: []string{cmd}}); got != want {
			t.Errorf("Disables(%q) = %v", cmd, got)
		}
	}
}

func TestCollect(t *testing.T) {
	tg := tree(t, true, map[string]string{
		"lib":                                           "->usr/lib",
		"usr/lib/modprobe.d/aliases.conf":               "alias net-pf-33 rds\n",
		"usr/lib/modprobe.d/cra.conf":                   "install cramfs /bin/sh -c 'echo no'\n",
		"etc/modprobe.d/cra.conf":                       "install cramfs /bin/false\nblacklist cramfs\n",
		"etc/modprobe.d/00-first.conf":                  "install usb_storage /bin/true\n",
		"etc/modprobe.d/90-late.conf":                   "install usb-storage /sbin/modprobe --ignore-install usb-storage\n",
		"etc/modprobe.d/masked.conf":                    "->/dev/null",
		"run/modprobe.d/masked.conf":                    "install sctp /bin/false\n",
		"usr/lib/modules/6.1.0-9-amd64/modules.builtin": "kernel/fs/udf/udf.ko\nkernel/drivers/usb/storage/usb-storage.ko\n",
		"proc/modules":                                  "sctp 425984 4 - Live 0x0000000000000000\nrds 1 0 - Live 0x0\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if cmd, ok := c.Install("cramfs"); !ok || cmd.File != "/etc/modprobe.d/cra.conf" || !Disables(cmd) {
		t.Errorf("cramfs install %+v", cmd)
	}
	if cmd, ok := c.Install("usb-storage"); !ok || cmd.File != "/etc/modprobe.d/00-first.conf" {
		t.Errorf("first install must win: %+v", cmd)
	}
	if _, ok := c.Install("sctp"); ok {
		t.Error("masked file was read")
	}
	if _, ok := c.Blacklist("cramfs"); !ok {
		t.Error("blacklist cramfs missing")
	}
	if a := c.Aliases("rds"); len(a) != 1 || a[0].Module != "net_pf_33" {
		t.Errorf("aliases %+v", a)
	}
	if !c.Loaded["sctp"] || c.Builtin["usb_storage"] == "" || c.Builtin["udf"] == "" {
		t.Errorf("loaded %v builtin %v", c.Loaded, c.Builtin)
	}
	for _, f := range c.Files {
		if strings.HasPrefix(f, "/lib/") {
			t.Errorf("merged-usr duplicate %s", f)
		}
	}
}

func TestFixtureTree(t *testing.T) {
	const root = "/var/cache/cradle-fixtures/rootfs-bookworm"
	if _, err := os.Stat(root + "/usr/lib/modprobe.d"); err != nil {
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
	if _, ok := c.Install("cramfs"); ok {
		t.Error("stock Debian disables cramfs?")
	}
	if len(c.Commands) == 0 {
		t.Error("no commands parsed from the stock configuration")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("install cramfs /bin/false\nblacklist x\\\n y\nalias a b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range Parse(b) {
			if c.Module == "" || c.Line <= 0 {
				t.Fatalf("bad command %+v", c)
			}
			Disables(c)
		}
		ParseProcModules(b)
	})
}

func TestCollectAsKmod(t *testing.T) {
	tg := tree(t, false, map[string]string{
		"etc/modprobe.d/a.conf":       "Install cramfs /bin/true\ninstall cramfs /sbin/modprobe --ignore-install cramfs\n",
		"etc/modprobe.d/b.alias":      "install hfs /bin/false\n",
		"etc/modprobe.d/.hidden.conf": "install udf /bin/false\n",
		"etc/modprobe.d/notes.txt":    "install dccp /bin/false\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	// Commands are case-sensitive: "Install" is a bad line to kmod.
	if cmd, _ := c.Install("cramfs"); Disables(cmd) {
		t.Errorf("cramfs: %+v", cmd)
	}
	// *.alias files are read; dot files and other names are not.
	if _, ok := c.Install("hfs"); !ok {
		t.Error("hfs from b.alias not read")
	}
	for _, m := range []string{"udf", "dccp"} {
		if cmd, ok := c.Install(m); ok {
			t.Errorf("%s read from %s", m, cmd.File)
		}
	}
}
