package checks

import (
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const fixDpkgStatus = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u7
Description: GNU C Library

Package: telnetd
Status: install ok installed
Priority: optional
Section: net
Architecture: amd64
Version: 0.17+2.4-2
Depends: libc6 (>= 2.34), adduser
Provides: telnet-server
Description: telnet server
 continuation line

Package: inetutils-telnetd
Status: install ok installed
Architecture: amd64
Version: 2:2.4-2
Provides: telnet-server
Description: telnet server (inetutils)

Package: gdb
Status: install ok installed
Architecture: amd64
Version: 13.1-3
Depends: libc6 (>= 2.34)
Description: debugger

Package: gdb-helper
Status: install ok installed
Architecture: all
Version: 1.0
Depends: gdb:any (>= 10) | gdb-minimal
Description: needs gdb

Package: strace
Status: install ok installed
Architecture: amd64
Version: 6.1-0.1
Description: tracer

Package: ltrace
Status: install ok installed
Architecture: amd64
Version: 0.7.3-6.4
Description: tracer

Package: tracewrap
Status: install ok installed
Architecture: all
Version: 1.0
Depends: strace | ltrace
Description: uses either tracer

Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b7

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
Depends: telnetd
`

func dpkgTree(t *testing.T, extra map[string]string) target.Target {
	files := map[string]string{
		"var/lib/dpkg/status":                  fixDpkgStatus,
		"var/lib/dpkg/info/libc6:amd64.list":   "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu/libc.so.6\n",
		"var/lib/dpkg/info/telnetd.list":       "/.\n/usr\n/usr/sbin\n/usr/sbin/in.telnetd\n/usr/share/man/man8/in.telnetd.8.gz\n/usr/share/doc/shared/README\n/usr/sbin/telnetd\n",
		"var/lib/dpkg/info/telnetd.md5sums":    "00  usr/sbin/in.telnetd\n",
		"var/lib/dpkg/info/telnetd.extra.list": "/usr/share/doc/shared/README\n",
		"var/lib/dpkg/info/telnetd.conffiles":  "/etc/telnetd.conf\n",
		"usr/lib/x86_64-linux-gnu/libc.so.6":   "ELF",
		"usr/sbin/in.telnetd":                  "ELF",
		"usr/sbin/telnetd":                     "->in.telnetd",
		"usr/share/man/man8/in.telnetd.8.gz":   "gz",
		"usr/share/doc/shared/README":          "shared",
		"var/lib/dpkg/info/gdb.list":           "/usr/bin/gdb\n",
		"usr/bin/gdb":                          "ELF",
	}
	for k, v := range extra {
		files[k] = v
	}
	return targettest.Tree(t, files)
}

func TestPackageAbsentFixDpkg(t *testing.T) {
	tg := dpkgTree(t, nil)
	ch := fixRoundTrip(t, packageAbsentTemplate{}, `{names: [telnetd, inetutils-telnetd, telnet-server]}`, tg)
	ops := opLines(ch)
	for _, w := range []string{
		"file.remove /usr/sbin/in.telnetd file",
		"file.remove /usr/sbin/telnetd symlink to in.telnetd",
		"file.remove /usr/share/man/man8/in.telnetd.8.gz",
		"file.remove /var/lib/dpkg/info/telnetd.list",
		"file.remove /var/lib/dpkg/info/telnetd.md5sums",
		"file.remove /var/lib/dpkg/info/telnetd.conffiles",
		"file.write /var/lib/dpkg/status",
	} {
		if !hasOp(ops, w) {
			t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
		}
	}
	for _, d := range []string{"/usr/share/doc/shared/README", "telnetd.extra.list", "file.remove /usr/sbin ", "file.remove /usr "} {
		if hasOp(ops, d) {
			t.Errorf("unexpected op %q in\n%s", d, strings.Join(ops, "\n"))
		}
	}
	// The rest of the status file is byte-identical.
	b, err := ch.ReadFile("var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(fixDpkgStatus, "Package: telnetd")
	end := strings.Index(fixDpkgStatus, "Package: gdb\n")
	if want := fixDpkgStatus[:start] + fixDpkgStatus[end:]; string(b) != want {
		t.Errorf("status after removal:\n%s\nwant:\n%s", b, want)
	}
	for _, n := range []string{"telnetd", "inetutils-telnetd"} {
		if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: n}) {
			t.Errorf("no package.remove effect for %s", n)
		}
	}
}

func TestPackageAbsentFixRefusals(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		args  string
		want  []string
		deny  []string
	}{
		{"postrm script", map[string]string{"var/lib/dpkg/info/telnetd.postrm": "#!/bin/sh\n", "var/lib/dpkg/info/telnetd.prerm": "#!/bin/sh\n"},
			`{names: [telnetd]}`,
			[]string{"deferred remove package telnetd: not removed natively from the offline root because it has maintainer scripts that dpkg would run (/var/lib/dpkg/info/telnetd.prerm, /var/lib/dpkg/info/telnetd.postrm)"},
			[]string{"file.remove", "file.write"}},
		{"arch-qualified script", map[string]string{"var/lib/dpkg/info/telnetd:amd64.postinst": "#!/bin/sh\n"},
			`{names: [telnetd]}`, []string{"telnetd:amd64.postinst"}, []string{"file.remove"}},
		{"dependant", nil, `{names: [gdb]}`,
			[]string{"deferred remove package gdb: not removed natively from the offline root because installed packages depend on it: gdb-helper"},
			[]string{"file.remove"}},
		{"dependant removed too", nil, `{names: [gdb, gdb-helper]}`,
			[]string{"file.remove /usr/bin/gdb", "file.write /var/lib/dpkg/status"}, []string{"deferred"}},
		{"alternative stays", nil, `{names: [strace]}`,
			[]string{"file.write /var/lib/dpkg/status"}, []string{"deferred"}},
		// One alternative goes, the other stays for tracewrap.
		{"both alternatives", nil, `{names: [strace, ltrace]}`,
			[]string{"deferred remove package strace: not removed natively from the offline root because installed packages depend on it: tracewrap", "file.write /var/lib/dpkg/status"},
			[]string{"deferred remove package ltrace"}},
		{"shared library", nil, `{names: [libc6]}`, []string{"deferred remove package libc6: not removed natively from the offline root because installed packages depend on it: telnetd, gdb"}, []string{"file.write"}},
		{"essential", nil, `{names: [bash]}`, []string{"deferred remove package bash: not removed natively from the offline root because it is marked essential or protected"}, []string{"file.write"}},
		{"triggers", map[string]string{"var/lib/dpkg/info/strace.triggers": "interest /usr/share/man\n"}, `{names: [strace]}`,
			[]string{"it declares dpkg triggers"}, []string{"file.write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch *remedy.Changes
			if tt.name == "both alternatives" {
				ch = remediateOps(t, packageAbsentTemplate{}, tt.args, dpkgTree(t, tt.extra))
			} else {
				ch = fixRoundTrip(t, packageAbsentTemplate{}, tt.args, dpkgTree(t, tt.extra))
			}
			ops := opLines(ch)
			for _, w := range tt.want {
				if !hasOp(ops, w) {
					t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
				}
			}
			for _, d := range tt.deny {
				if hasOp(ops, d) {
					t.Errorf("unexpected op %q in\n%s", d, strings.Join(ops, "\n"))
				}
			}
		})
	}
}

func TestPackageFixLiveAndRPM(t *testing.T) {
	live := targettest.LiveTree(t, map[string]string{"var/lib/dpkg/status": fixDpkgStatus})
	ch := remediateOps(t, packageAbsentTemplate{}, `{names: [telnetd, gdb]}`, live)
	if rt := ch.RuntimeChanges(); len(rt) != 2 || rt[0].Action != "remove" || rt[0].Key != "telnetd" || rt[1].Key != "gdb" {
		t.Errorf("runtime %+v", rt)
	}
	if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: "gdb"}) {
		t.Error("no package.remove effect")
	}
	ch = remediateOps(t, packageInstalledTemplate{}, `{names: [chrony, systemd-timesyncd], any: true}`, live)
	if rt := ch.RuntimeChanges(); len(rt) != 1 || rt[0].Action != "install" || rt[0].Key != "chrony" {
		t.Errorf("runtime %+v", rt)
	}
	ch = fixRoundTrip(t, packageInstalledTemplate{}, `{names: [aide, sudo]}`, dpkgTree(t, nil))
	ops := opLines(ch)
	if len(ops) != 2 || !strings.HasPrefix(ops[0], "deferred install aide: installing into an offline root needs the package manager") {
		t.Errorf("ops %q", ops)
	}
	// An offline RHEL 9 tree: removal needs rpm.
	db, err := os.ReadFile("../collect/packages/testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	ch = fixRoundTrip(t, packageAbsentTemplate{}, `{names: [pkg1]}`, pkTree(t, map[string]string{"usr/lib/sysimage/rpm/rpmdb.sqlite": string(db)}))
	if ops := opLines(ch); len(ops) != 1 || !strings.HasPrefix(ops[0], "deferred remove package pkg1: removing an rpm package from an offline root needs the package manager") {
		t.Errorf("ops %q", ops)
	}
}
