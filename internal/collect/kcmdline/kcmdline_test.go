package kcmdline

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ro quiet audit=1", "ro|quiet|audit=1"},
		{"  root=UUID=ab-cd   ro\t", "root=UUID=ab-cd|ro"},
		{`acpi_osi="Windows 2020" x`, "acpi_osi=Windows 2020|x"},
		{`"quoted=a b"`, "quoted=a b"},
		{"audit=1 -- init=/bin/sh", "audit=1"},
		{"empty= novalue", "empty=|novalue"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range Parse(tt.in) {
			got = append(got, p.String())
		}
		if g := strings.Join(got, "|"); g != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, g, tt.want)
		}
	}
}

func TestLast(t *testing.T) {
	ps := Parse("audit=0 systemd.debug-shell=1 audit=1 page_alloc.shuffle=1")
	if p, ok := Last(ps, "audit"); !ok || p.Value != "1" {
		t.Errorf("audit: %v %v, want the last value 1", p, ok)
	}
	if _, ok := Last(ps, "systemd.debug_shell"); !ok {
		t.Error("systemd.debug_shell must match systemd.debug-shell")
	}
	if _, ok := Last(ps, "page-alloc.shuffle"); !ok {
		t.Error("page-alloc.shuffle must match page_alloc.shuffle")
	}
	if _, ok := Last(Parse("slub-debug=P"), "slub_debug"); ok {
		t.Error("a dash in a plain kernel parameter is its own name")
	}
}

func TestShellVars(t *testing.T) {
	tests := []struct {
		name, src string
		want      map[string]string
	}{
		{"plain", "GRUB_CMDLINE_LINUX=\"audit=1\"\n", map[string]string{"GRUB_CMDLINE_LINUX": "audit=1"}},
		{"single quotes", "A='$x \"y\"'\n", map[string]string{"A": `$x "y"`}},
		{"expansion", "A=one\nA=\"$A two\"\nB=${A}3\n", map[string]string{"A": "one two", "B": "one two3"}},
		{"export", "export A=1 B=\"2 3\"\n", map[string]string{"A": "1", "B": "2 3"}},
		{"comment", "# A=1\nA=2 # A=3\n", map[string]string{"A": "2"}},
		{"command environment", "A=1 cmd\n", map[string]string{"A": ""}},
		{"keyword", "if true; then A=1; fi\n", map[string]string{"A": "1"}},
		{"multi-line", "A=\"x\ny\"\nB=2\n", map[string]string{"A": "x\ny", "B": "2"}},
		{"continuation", "A=x\\\ny\n", map[string]string{"A": "xy"}},
		{"escapes", `A="a\"b\$c\d"` + "\n", map[string]string{"A": `a"b$c\d`}},
		{"unset expands empty", "A=\"$NOPE x\"\n", map[string]string{"A": " x"}},
		{"semicolon", "A=1; B=2\n", map[string]string{"A": "1", "B": "2"}},
	}
	for _, tt := range tests {
		sh := NewShellVars()
		sh.Source("f", []byte(tt.src))
		for k, v := range tt.want {
			if got := sh.Get(k).Value; got != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, got, v)
			}
		}
	}
	sh := NewShellVars()
	sh.Source("f", []byte("A=$(cat /x)\n"))
	if len(sh.Notes) == 0 {
		t.Error("command substitution is noted")
	}
}

func TestCollect(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/default/grub": "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"audit=1\"\n",
		// grub.d is sourced after the main file, in byte order.
		"etc/default/grub.d/50-b.cfg": "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit_backlog_limit=8192\"\n",
		"etc/default/grub.d/10-a.cfg": "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX init=/bin/bash\"\n",
		"etc/default/grub.d/x.conf":   "GRUB_CMDLINE_LINUX=ignored\n",
		"boot/grub/grub.cfg": "menuentry 'Debian GNU/Linux' --class debian {\n\tlinux\t/vmlinuz-6.1.0-18-amd64 root=UUID=x ro audit=1 quiet\n}\n" +
			"submenu 'Advanced' {\nmenuentry \"Debian (recovery mode)\" {\n  linux /vmlinuz-6.1.0-18-amd64 root=UUID=x ro single audit=1\n}\n}\n# linux /commented out\n",
		"boot/loader/entries/rhel.conf": "title Red Hat\nlinux /vmlinuz\noptions $kernelopts audit=1\n",
		"boot/grub2/grubenv":            "# GRUB Environment Block\nkernelopts=root=/dev/sda ro\n",
	})
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Sources {
		got = append(got, s.Kind+" "+s.Entry+": "+s.Cmdline)
	}
	want := []string{
		"grub-default : audit=1 init=/bin/bash audit_backlog_limit=8192 quiet",
		"grub-default-recovery : audit=1 init=/bin/bash audit_backlog_limit=8192",
		"grub.cfg Debian GNU/Linux: root=UUID=x ro audit=1 quiet",
		"grub.cfg Debian (recovery mode): root=UUID=x ro single audit=1",
		"bls Red Hat: root=/dev/sda ro audit=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := f.Sources[0]; s.File != "/etc/default/grub" || s.Line != 2 {
		t.Errorf("normal line set at %s:%d, want /etc/default/grub:2 (GRUB_CMDLINE_LINUX_DEFAULT)", s.File, s.Line)
	}
	if s := f.Sources[1]; s.File != "/etc/default/grub.d/50-b.cfg" || s.Line != 1 {
		t.Errorf("recovery line set at %s:%d", s.File, s.Line)
	}
}

func TestGrubCfgKernelEntriesOnly(t *testing.T) {
	tests := []struct {
		name, cfg string
		kept      []string // entry titles judged
		skipped   int
	}{
		{"debian kernel", "menuentry 'Debian' {\n linux /vmlinuz-6.1.0-18-amd64 ro\n}\n", []string{"Debian"}, 0},
		{"grub device prefix", "menuentry 'D' {\n linux (hd0,gpt2)/boot/vmlinuz-6.1 ro\n}\n", []string{"D"}, 0},
		{"arm64 Image", "menuentry 'A' {\n linux /Image ro\n}\n", []string{"A"}, 0},
		{"bzImage", "menuentry 'B' {\n linux16 /bzImage-6.6 ro\n}\n", []string{"B"}, 0},
		{"gentoo kernel-", "menuentry 'G' {\n linux /kernel-6.6.13-gentoo ro\n}\n", []string{"G"}, 0},
		{"grub variable", "menuentry 'V' {\n linux $kernel ro\n}\n", []string{"V"}, 0},
		{"memtest efi", "### BEGIN /etc/grub.d/20_memtest86+ ###\nmenuentry 'Memory test (memtest86+x64.efi)' {\n linux /boot/memtest86+x64.efi\n}\n### END /etc/grub.d/20_memtest86+ ###\n", nil, 1},
		{"memtest bin", "menuentry 'Memory test' {\n linux16 /boot/memtest86+x64.bin console=ttyS0\n}\n", nil, 1},
		{"os-prober section", "### BEGIN /etc/grub.d/30_os-prober ###\nmenuentry 'Ubuntu 22.04 (on /dev/sda2)' {\n linux /boot/vmlinuz-5.15 root=/dev/sda2 init=/bin/sh\n}\n### END /etc/grub.d/30_os-prober ###\nmenuentry 'Debian' {\n linux /vmlinuz ro\n}\n", []string{"Debian"}, 1},
		{"os-prober id", "menuentry 'Fedora (on /dev/sdb1)' --class gnu-linux $menuentry_id_option 'osprober-gnulinux-simple-abc' {\n linux /vmlinuz-6.5 ro\n}\nmenuentry 'Debian' --class debian {\n linux /vmlinuz ro\n}\n", []string{"Debian"}, 1},
	}
	for _, tt := range tests {
		srcs, skipped := ParseGrubCfg("/boot/grub/grub.cfg", []byte(tt.cfg))
		var kept []string
		for _, s := range srcs {
			kept = append(kept, s.Entry)
		}
		if strings.Join(kept, ",") != strings.Join(tt.kept, ",") || len(skipped) != tt.skipped {
			t.Errorf("%s: kept %q, skipped %q; want %q and %d skipped", tt.name, kept, skipped, tt.kept, tt.skipped)
		}
	}
	var many strings.Builder
	for range maxSkippedListed + 5 {
		many.WriteString("menuentry 'memtest' {\n linux /memtest86+.bin\n}\n")
	}
	_, skipped := ParseGrubCfg("/boot/grub/grub.cfg", []byte(many.String()))
	if len(skipped) != maxSkippedListed+1 || !strings.Contains(skipped[maxSkippedListed], "5 more entries skipped") {
		t.Errorf("many skipped: %q", skipped)
	}
}

func TestRecoveryDisabledAndLive(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"etc/default/grub": "GRUB_DISABLE_RECOVERY=\"true\"\nGRUB_CMDLINE_LINUX=\"\"\n"})
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sources) != 1 || f.Sources[0].Kind != KindGrubDefault {
		t.Errorf("sources %+v, want the normal line only", f.Sources)
	}
	f, err = Collect(context.Background(), targettest.Tree(t, map[string]string{"etc/os-release": "ID=alpine\n"}))
	if err != nil || len(f.Sources) != 0 {
		t.Errorf("a tree without a boot loader: %+v %v", f, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("ro quiet audit=1 \"a b\" -- x")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Parse(s) {
			if strings.ContainsAny(p.Key, " \t") && !strings.Contains(s, "\"") {
				t.Fatalf("key %q holds a blank", p.Key)
			}
		}
	})
}

func FuzzShellVars(f *testing.F) {
	f.Add([]byte("GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit=1\"\nexport A='x' B=${A}\nif x; then C=$(y); fi\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sh := NewShellVars()
		sh.Source("f", b)
		sh.Source("g", b)
		if len(sh.Notes) > maxNotes {
			t.Fatalf("%d notes", len(sh.Notes))
		}
	})
}

func FuzzGrubCfg(f *testing.F) {
	f.Add([]byte("menuentry 'Debian' {\n linux /vmlinuz root=x ro \"a b\" 'c'\n}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		srcs, skipped := ParseGrubCfg("/boot/grub/grub.cfg", b)
		if len(skipped) > maxSkippedListed+1 {
			t.Fatalf("%d skipped notes", len(skipped))
		}
		for _, s := range srcs {
			if s.Line < 1 {
				t.Fatalf("line %d", s.Line)
			}
		}
		ParseBLS("/x.conf", b, "root=/dev/x")
	})
}
