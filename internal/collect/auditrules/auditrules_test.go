package auditrules

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		want Rule
		ok   bool
	}{
		{"-w /etc/passwd -p wa -k identity", Rule{Kind: "watch", Path: "/etc/passwd", Perms: "wa", Keys: []string{"identity"}}, true},
		{"-w /etc/sudoers.d/", Rule{Kind: "watch", Path: "/etc/sudoers.d/", Perms: "rwxa"}, true},
		{"-a always,exit -F arch=b64 -S adjtimex,settimeofday -S clock_settime -k time-change",
			Rule{Kind: "syscall", Action: "always", List: "exit", Syscalls: []string{"adjtimex", "settimeofday", "clock_settime"},
				Fields: []Field{{"arch", "=", "b64"}}, Keys: []string{"time-change"}}, true},
		{"-a exit,always -F arch=b32 -S chmod -F auid>=1000 -F auid!=4294967295 -F key=perm_mod",
			Rule{Kind: "syscall", Action: "always", List: "exit", Syscalls: []string{"chmod"},
				Fields: []Field{{"arch", "=", "b32"}, {"auid", ">=", "1000"}, {"auid", "!=", "4294967295"}}, Keys: []string{"perm_mod"}}, true},
		{"-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -k priv",
			Rule{Kind: "syscall", Action: "always", List: "exit", Fields: []Field{{"path", "=", "/usr/bin/sudo"}, {"perm", "=", "x"}, {"auid", ">=", "1000"}}, Keys: []string{"priv"}}, true},
		{"-e 2", Rule{Kind: "control", Option: "-e", Value: "2"}, true},
		{"-D", Rule{Kind: "control", Option: "-D"}, true},
		{"--backlog_wait_time 60000", Rule{Kind: "control", Option: "--backlog_wait_time", Value: "60000"}, true},
		{"-b 8192 # buffers", Rule{Kind: "control", Option: "-b", Value: "8192"}, true},
		{"-W /etc/passwd", Rule{}, false},
		{"nonsense", Rule{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseLine(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			got.Raw = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestVersionOrder(t *testing.T) {
	names := []string{"audit.rules", "99-finalize.rules", "10-base.rules", "9-early.rules", "50-x.rules"}
	sort.Slice(names, func(i, j int) bool { return lsVersionLess(names[i], names[j]) })
	want := []string{"9-early.rules", "10-base.rules", "50-x.rules", "99-finalize.rules", "audit.rules"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/audit/audit.rules", "-e 1\n")
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Installed || s.Last("-e").Value != "1" {
		t.Fatalf("audit.rules fallback: %+v", s)
	}
	write("etc/audit/rules.d/99-finalize.rules", "-e 2\n")
	write("etc/audit/rules.d/10-base.rules", "-D\n-b 8192\n-e 0\n")
	write("etc/audit/rules.d/notes.txt", "-e 0\n")
	s, err = Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Last("-e"); r == nil || r.Value != "2" || r.File != "/etc/audit/rules.d/99-finalize.rules" || r.Line != 1 {
		t.Fatalf("last -e %+v (files %v)", r, s.Files)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S chmod -F auid>=1000\n-e 2\n"))
	f.Add([]byte("-a exit,always -Farch=b32 -S all -F \"key=a b\"\n--backlog_wait_time=1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range Parse(b, "/f") {
			if r.Kind == "" || r.Line < 1 {
				t.Fatalf("bad rule %+v", r)
			}
		}
	})
}

func TestDebianRootFS(t *testing.T) {
	tg := targettest.Fixture(t)
	if _, err := target.ReadFile(tg, "etc/audit/rules.d/audit.rules"); errors.Is(err, fs.ErrPermission) {
		t.Skip("fixture not readable without root")
	}
	s, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Last("-b"); r == nil || r.Value != "8192" || r.File != "/etc/audit/rules.d/audit.rules" {
		t.Errorf("-b: %+v (files %v)", r, s.Files)
	}
}

// A -D loaded after rules deletes them (all, or those with its key), as
// auditctl does; with Debian's mawk an indented "-D" stays in place.
func TestDeleteInPlace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "etc/audit/rules.d")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "-w /etc/passwd -p wa -k identity\n-w /etc/shadow -p wa -k old\n-D -k old\n-b 64\n-w /etc/group -p wa\n  -D\n-w /etc/hosts -p wa\n"
	if err := os.WriteFile(filepath.Join(p, "10.rules"), []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var watches []string
	for _, r := range s.Rules {
		if r.Kind == "watch" {
			watches = append(watches, r.Path)
		}
	}
	if !reflect.DeepEqual(watches, []string{"/etc/hosts"}) || s.Last("-b") == nil {
		t.Errorf("watches %v, -b %v", watches, s.Last("-b"))
	}
}

// ls -v's order is a strict weak order on any names: never both a<b and
// b<a, and a name is never before itself.
func FuzzLsVersionLess(f *testing.F) {
	f.Add("10-a.rules", "9-b.rules")
	f.Add("a~b.rules", ".x.rules")
	f.Add("1.2.rules", "1.10.rules")
	f.Fuzz(func(t *testing.T, a, b string) {
		if lsVersionLess(a, a) || lsVersionLess(a, b) && lsVersionLess(b, a) {
			t.Errorf("%q, %q: not a strict order", a, b)
		}
	})
}

func TestLsVersionOrder(t *testing.T) {
	// The order GNU ls -1v (coreutils 9.1) gives these names.
	names := []string{"a-b.rules", "ab.rules", "9-b.rules", "10-a.rules", "1.10.rules", "1.2.rules", "010.rules", "10.rules", "Z.rules", "_z.rules", "a~b.rules", "a.b.rules"}
	sort.Slice(names, func(i, j int) bool { return lsVersionLess(names[i], names[j]) })
	want := []string{"1.2.rules", "1.10.rules", "9-b.rules", "010.rules", "10.rules", "10-a.rules", "Z.rules", "a~b.rules", "a.b.rules", "ab.rules", "a-b.rules", "_z.rules"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}
