package accounts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		field  string
		state  PasswordState
		scheme string
	}{
		{"", Empty, ""},
		{"x", InShadow, ""},
		{"*", Disabled, ""},
		{"!*", Locked, ""},
		{"!", Locked, ""},
		{"!!", Locked, ""},
		{"!$6$salt$hash", Locked, "sha512crypt"},
		{"$y$j9T$salt$hash", Hashed, "yescrypt"},
		{"$gy$j9T$salt$hash", Hashed, "gost-yescrypt"},
		{"$6$rounds=5000$salt$hash", Hashed, "sha512crypt"},
		{"$5$salt$hash", Hashed, "sha256crypt"},
		{"$2b$12$abcdefghijklmnopqrstuv", Hashed, "bcrypt"},
		{"$1$salt$hash", Hashed, "md5crypt"},
		{"$9$weird", Hashed, "unknown"},
		{"abJnggxhB/yWI", Hashed, "descrypt"},
		{"_J9..abcdabcdefghijk", Hashed, "bsdicrypt"},
		{"LK", Disabled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			st, sch := Classify(tt.field)
			if st != tt.state || sch != tt.scheme {
				t.Errorf("Classify(%q) = %s, %q; want %s, %q", tt.field, st, sch, tt.state, tt.scheme)
			}
		})
	}
}

func TestCollectDebian(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string, mode os.FileMode) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n+nis::::::\nbroken:x:zz:1::/:/bin/sh\nold:abJnggxhB/yWI:1001:1001::/home/old:/bin/sh\n", 0o644)
	write("etc/group", "root:x:0:\nsudo:x:27:alice, bob\n", 0o644)
	write("etc/shadow", "root:*:20784:0:99999:7:::\ndaemon:!:20784::::::\n", 0o640)
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	db, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Users) != 3 || db.Users[2].Name != "old" || db.Users[2].Line != 5 {
		t.Fatalf("users %+v", db.Users)
	}
	if !db.ShadowReadable || db.Users[0].Shadow == nil || db.Users[0].Shadow.MaxDays != 99999 || db.Users[1].Shadow.MaxDays != -1 {
		t.Fatalf("shadow join %+v %+v", db.Users[0].Shadow, db.Users[1].Shadow)
	}
	if pw, ok := db.Users[2].Password(); !ok || pw != "abJnggxhB/yWI" {
		t.Fatalf("unshadowed password %q %v", pw, ok)
	}
	if pw, ok := db.Users[0].Password(); !ok || pw != "*" {
		t.Fatalf("shadowed password %q %v", pw, ok)
	}
	if db.UserName(0) != "root" || db.GroupName(27) != "sudo" || db.UserName(42) != "42" || !db.HasGID(27) || db.HasUID(5) {
		t.Fatal("name lookups")
	}
	if g := db.Groups[1]; len(g.Members) != 2 || g.Members[1] != "bob" {
		t.Fatalf("members %v", g.Members)
	}
}

func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n+::::::\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, u := range ParsePasswd(b) {
			if u.Line < 1 {
				t.Fatal("bad line")
			}
			Classify(u.Passwd)
		}
	})
}

func FuzzParseGroup(f *testing.F) {
	f.Add([]byte("sudo:x:27:alice,bob\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseGroup(b) })
}

func FuzzParseShadow(f *testing.F) {
	f.Add([]byte("root:$y$j9T$a$b:20000:0:99999:7:::\nx:!:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseShadow(b) {
			st, sch := Classify(s.Hash)
			if st == Hashed && sch == "" {
				t.Fatalf("hashed without scheme: %q", s.Hash)
			}
		}
	})
}

// A huge line must not hide the entries after it (bufio.Scanner stopped
// there before).
func TestLongLineDoesNotHideLaterEntries(t *testing.T) {
	b := []byte("root:x:0:0::/root:/bin/sh\n#" + strings.Repeat("x", 2<<20) + "\ntoor:x:0:0::/root:/bin/sh\n")
	us := ParsePasswd(b)
	if len(us) != 2 || us[1].Name != "toor" || us[1].Line != 3 {
		t.Fatalf("users %+v", us)
	}
}
