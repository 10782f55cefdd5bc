package sudoers

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParse(t *testing.T) {
	in := `# sudoers
Defaults	env_reset
Defaults	mail_badpass, !visiblepw
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin"
Defaults:deploy	!authenticate
Defaults	logfile = "/var/log/sudo.log", timestamp_timeout=5
User_Alias	ADMINS = alice, bob
Cmnd_Alias	REBOOT = /sbin/reboot, /sbin/shutdown
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
deploy, ci	web1 = (root) NOPASSWD: /usr/bin/systemctl restart app, PASSWD: /bin/ls : db1 = ALL
#1000 ALL = (ALL) NOEXEC: NOPASSWD: ALL
alice ALL = (ALL) ALL, \
	(bob) /bin/true
@includedir /etc/sudoers.d
#include /etc/sudoers.local
`
	st := Parse([]byte(in), "/etc/sudoers")
	var defs []Default
	var specs []Spec
	var incs []string
	for _, s := range st {
		switch s.Kind {
		case "default":
			defs = append(defs, s.Default)
		case "spec":
			specs = append(specs, s.Spec)
		case "include", "includedir":
			incs = append(incs, s.Kind+" "+s.Path)
		}
	}
	wantDefs := []Default{
		{Name: "env_reset", Line: 2},
		{Name: "mail_badpass", Line: 3},
		{Name: "visiblepw", Negated: true, Line: 3},
		{Name: "secure_path", Op: "=", Value: "/usr/local/sbin:/usr/local/bin:/usr/sbin", Line: 4},
		{Binding: ":deploy", Name: "authenticate", Negated: true, Line: 5},
		{Name: "logfile", Op: "=", Value: "/var/log/sudo.log", Line: 6},
		{Name: "timestamp_timeout", Op: "=", Value: "5", Line: 6},
	}
	for i := range wantDefs {
		wantDefs[i].File = "/etc/sudoers"
	}
	if !reflect.DeepEqual(defs, wantDefs) {
		t.Errorf("defaults\n%+v\nwant\n%+v", defs, wantDefs)
	}
	type sp struct {
		users, cmd string
		nopw       bool
		line       int
	}
	var got []sp
	for _, s := range specs {
		got = append(got, sp{s.Users[0], s.Commands[0], s.HasTag("NOPASSWD"), s.Line})
	}
	want := []sp{
		{"root", "ALL", false, 9},
		{"%sudo", "ALL", false, 10},
		{"deploy", "/usr/bin/systemctl restart app", true, 11},
		{"deploy", "/bin/ls", false, 11},
		{"deploy", "ALL", false, 11},
		{"#1000", "ALL", true, 12},
		{"alice", "ALL", false, 13},
		{"alice", "/bin/true", false, 13},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("specs\n%+v\nwant\n%+v", got, want)
	}
	if specs[2].Hosts[0] != "web1" || specs[4].Hosts[0] != "db1" || len(specs[2].Users) != 2 {
		t.Errorf("hosts/users: %+v", specs[2:5])
	}
	if !reflect.DeepEqual(incs, []string{"includedir /etc/sudoers.d", "include /etc/sudoers.local"}) {
		t.Errorf("includes %v", incs)
	}
}

func TestCollectIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/sudoers", "Defaults use_pty\n@includedir /etc/sudoers.d\n")
	write("etc/sudoers.d/10-a", "Defaults !use_pty\n@include extra\n")
	write("etc/sudoers.d/extra", "Defaults use_pty\n")
	write("etc/sudoers.d/skip.conf", "Defaults visiblepw\n")
	write("etc/sudoers.d/skip~", "Defaults visiblepw\n")
	write("etc/sudoers.d/loop", "@include /etc/sudoers.d/loop\n")
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	_, err = Collect(context.Background(), tg)
	if err == nil {
		t.Fatal("include loop: want depth error")
	}
	os.Remove(filepath.Join(dir, "etc/sudoers.d/loop"))
	p, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Effective("use_pty")
	if d == nil || d.Negated || d.File != "/etc/sudoers.d/extra" {
		t.Fatalf("effective use_pty %+v (files %v)", d, p.Files)
	}
	if p.Effective("visiblepw") != nil {
		t.Fatal("files with a dot or ~ must be skipped")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Defaults env_reset, !visiblepw\nroot ALL=(ALL:ALL) ALL\n"))
	f.Add([]byte("u h = (r) NOPASSWD: /a, PASSWD: /b : h2 = ALL\n@includedir /etc/sudoers.d\n"))
	f.Add([]byte("User_Alias A = a, b : B = c\nx ALL=\\\n ALL\n"))
	f.Add([]byte("Cmnd_Alias A = B, B, B\nCmnd_Alias B = C, C, C\nCmnd_Alias C = A, !A\nUser_Alias U = U\nDefaults!A !authenticate\nU ALL = A\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &Policy{Aliases: map[string][]string{}, Typed: map[string]map[string][]string{}}
		for _, s := range Parse(b, "/f") {
			if s.Line < 1 {
				t.Fatalf("bad statement %+v", s)
			}
			switch s.Kind {
			case "default":
				p.Defaults = append(p.Defaults, s.Default)
			case "spec":
				p.Specs = append(p.Specs, s.Spec)
			case "alias":
				if p.Typed[s.AliasType] == nil {
					p.Typed[s.AliasType] = map[string][]string{}
				}
				p.Typed[s.AliasType][s.Alias] = s.Members
			}
		}
		// Evaluation is bounded whatever the aliases (cycles, fan-out).
		pr := Principal{User: "u", Groups: []string{"g"}, Host: "h"}
		p.Lookup(pr, Principal{User: "root"}, "/usr/bin/true")
		p.Decisions("authenticate", []Principal{pr})
		for i := range p.Specs {
			if n := len(p.Expand(p.Specs[i].Commands)); n > maxVisits {
				t.Fatalf("expansion of %d items", n)
			}
		}
	})
}

func TestDebianRootFS(t *testing.T) {
	tg := targettest.Fixture(t)
	if _, err := target.ReadFile(tg, "etc/sudoers"); errors.Is(err, fs.ErrPermission) {
		t.Skip("fixture not readable without root")
	}
	p, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Effective("use_pty"); d == nil || d.Negated {
		t.Errorf("use_pty: %+v", d)
	}
	if len(p.Specs) != 2 || p.Specs[1].Users[0] != "%sudo" || p.Specs[1].RunAs != "ALL:ALL" {
		t.Errorf("specs %+v", p.Specs)
	}
}

// Semantics the differential test found or pins: tags carry over a new
// Runas_Spec, a host group may list several hosts, aliases are typed and
// expand with negation, Defaults apply in file order with command-bound
// ones last.
func TestEvaluate(t *testing.T) {
	tree := targettest.Tree(t, map[string]string{"etc/sudoers": `Cmnd_Alias EVERY = ALL
Cmnd_Alias SHELLS = /usr/bin/sh, /usr/bin/bash
Cmnd_Alias NOTSH = !SHELLS
User_Alias OPS = %ops, !bob
User_Alias EVERY = carol
Defaults:OPS !authenticate
Defaults authenticate
Defaults:carol !authenticate
Defaults!/usr/bin/id !authenticate
Defaults authenticate
OPS ALL = (root) NOPASSWD: /usr/bin/ls, (ALL) /usr/bin/true : web3, !web2 = ALL
carol ALL = EVERY, NOTSH
`})
	p, err := Collect(context.Background(), tree)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Specs[1]; got.RunAs != "ALL" || !got.HasTag("NOPASSWD") {
		t.Errorf("tags not carried over the Runas_Spec: %+v", got)
	}
	if got := p.Specs[2]; !reflect.DeepEqual(got.Hosts, []string{"web3", "!web2"}) || got.Commands[0] != "ALL" {
		t.Errorf("host group: %+v", got)
	}
	if got := p.Expand([]string{"EVERY", "NOTSH", "!NOTSH"}); !reflect.DeepEqual(got, []string{"ALL", "!/usr/bin/sh", "!/usr/bin/bash", "/usr/bin/sh", "/usr/bin/bash"}) {
		t.Errorf("Expand = %q", got)
	}
	root := Principal{User: "root", Groups: []string{"root"}}
	alice := Principal{User: "alice", UID: 1001, Groups: []string{"alice", "ops"}, Host: "web1"}
	bob := Principal{User: "bob", UID: 1002, Groups: []string{"bob", "ops"}, Host: "web1"}
	carol := Principal{User: "carol", UID: 1003, Groups: []string{"carol"}, Host: "web2"}
	if !p.UserMatches([]string{"OPS"}, alice) || p.UserMatches([]string{"OPS"}, bob) || !p.UserMatches([]string{"EVERY"}, carol) {
		t.Error("User_Alias with negation")
	}
	for _, tt := range []struct {
		who      Principal
		path     string
		allowed  bool
		password bool
	}{
		{alice, "/usr/bin/ls", true, false},   // NOPASSWD tag
		{alice, "/usr/bin/true", true, false}, // carried over (ALL)
		{alice, "/usr/bin/id", false, false},  // the ALL group is for web3 only
		{bob, "/usr/bin/ls", false, true},     // !bob in OPS
		{carol, "/usr/bin/sh", false, false},  // NOTSH denies; Defaults:carol is undone later
		{carol, "/usr/bin/env", true, true},   // the later "Defaults authenticate" wins
		{carol, "/usr/bin/id", true, false},   // Defaults!cmnd applies after the rest
	} {
		d := p.Lookup(tt.who, root, tt.path)
		if d.Allowed != tt.allowed || (d.Allowed && d.Password != tt.password) {
			t.Errorf("%s %s: %+v, want allowed %v password %v", tt.who.User, tt.path, d, tt.allowed, tt.password)
		}
	}
	if on, by := p.Flag("authenticate", true, carol, root, "/usr/bin/env"); !on || by != "Defaults authenticate" {
		t.Errorf("Flag = %v %q", on, by)
	}
}
