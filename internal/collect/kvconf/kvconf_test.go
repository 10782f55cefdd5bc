package kvconf

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		syn     Syntax
		in      string
		want    []Entry
		section string
	}{
		{"login.defs", Space, "# comment\nPASS_MAX_DAYS\t99999\nUMASK\t\t022\n\nENCRYPT_METHOD SHA512\n", []Entry{
			{Key: "PASS_MAX_DAYS", Value: "99999", Line: 2}, {Key: "UMASK", Value: "022", Line: 3}, {Key: "ENCRYPT_METHOD", Value: "SHA512", Line: 5}}, ""},
		{"chrony", Space, "pool 2.debian.pool.ntp.org iburst\nrtcsync\n", []Entry{
			{Key: "pool", Value: "2.debian.pool.ntp.org iburst", Line: 1}, {Key: "rtcsync", Line: 2}}, ""},
		{"pwquality", Equals, "# minlen = 8\nminlen = 14\n enforce_for_root\ndictcheck=1 # on\n", []Entry{
			{Key: "minlen", Value: "14", Line: 2}, {Key: "enforce_for_root", Line: 3}, {Key: "dictcheck", Value: "1", Line: 4}}, ""},
		{"useradd", Equals, "SHELL=/bin/sh\nINACTIVE=\"30\"\n", []Entry{
			{Key: "SHELL", Value: "/bin/sh", Line: 1}, {Key: "INACTIVE", Value: "30", Line: 2}}, ""},
		{"auditd.conf", Equals, "max_log_file_action = ROTATE\nspace_left = 75\n", []Entry{
			{Key: "max_log_file_action", Value: "ROTATE", Line: 1}, {Key: "space_left", Value: "75", Line: 2}}, ""},
		{"journald", Systemd, "#  This file is part of systemd.\n[Journal]\n#Storage=auto\nStorage=persistent\n; other\nSystemMaxUse=\\\n  1G\n", []Entry{
			{Section: "Journal", Key: "Storage", Value: "persistent", Line: 4}, {Section: "Journal", Key: "SystemMaxUse", Value: "1G", Line: 6}}, "Journal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse([]byte(tt.in), tt.syn, "/f")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries %+v, want %+v", len(got), got, tt.want)
			}
			for i := range got {
				w := tt.want[i]
				w.File = "/f"
				if got[i] != w {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}

func TestCollectDropIns(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/systemd/journald.conf", "[Journal]\nStorage=auto\n")
	write("usr/lib/systemd/journald.conf.d/10-vendor.conf", "[Journal]\nStorage=volatile\n")
	write("usr/lib/systemd/journald.conf.d/20-masked.conf", "[Journal]\nStorage=none\n")
	write("etc/systemd/journald.conf.d/20-masked.conf", "[Journal]\nCompress=no\n")
	write("etc/systemd/journald.conf.d/30-admin.conf", "[Journal]\nStorage=persistent\n")
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	c, err := Collect(context.Background(), tg, Source{Syntax: Systemd, Paths: []string{"/etc/systemd/journald.conf"}, DropIns: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/etc/systemd/journald.conf", "/usr/lib/systemd/journald.conf.d/10-vendor.conf", "/etc/systemd/journald.conf.d/20-masked.conf", "/etc/systemd/journald.conf.d/30-admin.conf"}
	if len(c.Files) != len(want) {
		t.Fatalf("files %v, want %v", c.Files, want)
	}
	for i := range want {
		if c.Files[i] != want[i] {
			t.Errorf("file %d = %s, want %s", i, c.Files[i], want[i])
		}
	}
	if e := c.Lookup("Journal", "Storage", false, false); e == nil || e.Value != "persistent" || e.File != want[3] {
		t.Errorf("effective Storage = %+v", e)
	}
	if e := c.Lookup("Journal", "Storage", true, false); e == nil || e.Value != "auto" {
		t.Errorf("first Storage = %+v", e)
	}
	if e := c.Lookup("", "storage", false, true); e == nil || e.Value != "persistent" {
		t.Errorf("case-folded Storage = %+v", e)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("PASS_MAX_DAYS 99999\n"), uint8(0))
	f.Add([]byte("minlen = 14\nenforce_for_root\n"), uint8(1))
	f.Add([]byte("[Journal]\nStorage=persistent\nX=a\\\nb\n"), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, s uint8) {
		syn := []Syntax{Space, Equals, Systemd, Pwquality}[int(s)%4]
		for _, e := range Parse(b, syn, "/f") {
			if e.Key == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func TestDebianRootFS(t *testing.T) {
	tg := targettest.Fixture(t)
	for _, tt := range []struct {
		src      Source
		section  string
		key, val string
	}{
		{Source{Syntax: Space, Paths: []string{"etc/login.defs"}}, "", "UID_MIN", "1000"},
		{Source{Syntax: Space, Paths: []string{"etc/login.defs"}}, "", "ENCRYPT_METHOD", "SHA512"},
		{Source{Syntax: Equals, Paths: []string{"etc/audit/auditd.conf"}}, "", "max_log_file_action", "ROTATE"},
		{Source{Syntax: Space, Paths: []string{"etc/chrony/chrony.conf"}}, "", "pool", "2.debian.pool.ntp.org iburst"},
	} {
		c, err := Collect(context.Background(), tg, tt.src)
		if err != nil {
			t.Fatal(err)
		}
		if e := c.Lookup(tt.section, tt.key, false, false); e == nil || e.Value != tt.val {
			t.Errorf("%s %s = %+v, want %q", tt.src.Paths[0], tt.key, e, tt.val)
		}
	}
	c, err := Collect(context.Background(), tg, Source{Syntax: Systemd, Paths: []string{"etc/systemd/journald.conf"}, DropIns: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) == 0 || len(c.Entries) != 0 {
		t.Errorf("journald.conf as shipped sets nothing: %+v", c)
	}
}
