package pam

import (
	"errors"
	"strings"
	"testing"
)

func flowConfig(files map[string]string) *Config {
	c := &Config{Files: map[string][]Entry{}, Paths: map[string]string{}, Present: true}
	for name, body := range files {
		c.Files[name] = Parse([]byte(body), "/etc/pam.d/"+name)
		c.Paths[name] = "/etc/pam.d/" + name
	}
	return c
}

func TestFlowEnforced(t *testing.T) {
	debPassword := "password requisite pam_pwquality.so retry=3\n" +
		"password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n" +
		"password requisite pam_deny.so\npassword required pam_permit.so\n"
	tests := []struct {
		name     string
		files    map[string]string
		typ      string
		module   string
		enforced bool
		reach    bool
		why      string
	}{
		{"Debian common-password", map[string]string{"passwd": "@include common-password\n", "common-password": debPassword},
			"password", "pam_pwquality.so", true, true, ""},
		{"Debian pam_unix is enforced through the jump over pam_deny", map[string]string{"passwd": "@include common-password\n", "common-password": debPassword},
			"password", "pam_unix.so", true, true, ""},
		{"skipped by success=2", map[string]string{"passwd": "password [success=2 default=ignore] pam_unix.so\npassword requisite pam_pwquality.so\npassword requisite pam_deny.so\npassword required pam_permit.so\n"},
			"password", "pam_pwquality.so", false, true, "skipped when [success=2 default=ignore] pam_unix.so at /etc/pam.d/passwd:1 succeeds"},
		{"after sufficient", map[string]string{"passwd": "password sufficient pam_unix.so\npassword required pam_pwquality.so\n"},
			"password", "pam_pwquality.so", false, true, "not reached when sufficient pam_unix.so"},
		{"optional failure ignored", map[string]string{"passwd": "password optional pam_pwquality.so\npassword required pam_unix.so\n"},
			"password", "pam_pwquality.so", false, true, "its failure does not fail the stack (optional)"},
		{"done in bracket", map[string]string{"passwd": "password [success=done default=ignore] pam_unix.so\npassword required pam_pwquality.so\n"},
			"password", "pam_pwquality.so", false, true, "not reached"},
		{"die on failure keeps a later module enforced", map[string]string{"passwd": "password [success=ok default=die] pam_unix.so\npassword required pam_pwquality.so\n"},
			"password", "pam_pwquality.so", true, true, ""},
		{"unreachable after pam_deny requisite", map[string]string{"passwd": "password requisite pam_deny.so\npassword required pam_pwquality.so\n"},
			"password", "pam_pwquality.so", false, false, "no run"},
		{"rootok success is root's only", map[string]string{"su": "auth sufficient pam_rootok.so\nauth required pam_wheel.so use_uid\nauth required pam_unix.so\n"},
			"auth", "pam_wheel.so", true, true, ""},
		{"sufficient permit leaves nothing after it", map[string]string{"su": "auth sufficient pam_permit.so\nauth required pam_wheel.so use_uid\n"},
			"auth", "pam_wheel.so", false, false, "no run"},
		{"sufficient condition bypasses", map[string]string{"su": "auth sufficient pam_succeed_if.so user ingroup x\nauth required pam_wheel.so use_uid\n"},
			"auth", "pam_wheel.so", false, true, "not reached when sufficient pam_succeed_if.so at /etc/pam.d/su:1 succeeds"},
		{"jump counts included lines one by one", map[string]string{"login": "auth [success=1 default=ignore] pam_unix.so\nauth include extra\nauth required pam_faillock.so\n", "extra": "auth required pam_env.so\n"},
			"auth", "pam_faillock.so", true, true, ""},
		{"jump counts a substack as one module", map[string]string{"login": "auth [success=1 default=ignore] pam_unix.so\nauth substack extra\nauth required pam_faillock.so\nauth requisite pam_deny.so\n", "extra": "auth required pam_env.so\nauth required pam_limits.so\n"},
			"auth", "pam_faillock.so", true, true, ""},
		{"done inside a substack ends only the substack", map[string]string{"login": "auth substack extra\nauth required pam_faillock.so\n", "extra": "auth sufficient pam_unix.so\nauth required pam_env.so\n"},
			"auth", "pam_faillock.so", true, true, ""},
		{"done inside a substack skips the rest of it", map[string]string{"login": "auth substack extra\nauth required pam_unix.so\n", "extra": "auth sufficient pam_unix.so\nauth required pam_faillock.so\n"},
			"auth", "pam_faillock.so", false, true, "not reached when sufficient pam_unix.so"},
		{"a jump cannot leave a substack", map[string]string{"login": "auth substack extra\nauth required pam_faillock.so\n", "extra": "auth [success=3 default=ignore] pam_unix.so\n"},
			"auth", "pam_faillock.so", true, true, ""},
		{"reset forgets an earlier failure", map[string]string{"login": "auth [success=ok default=bad] pam_unix.so\nauth [success=reset default=ignore] pam_permit.so\nauth required pam_faillock.so\n"},
			"auth", "pam_unix.so", false, true, "its failure does not fail the stack"},
		{"misspelt control is bad for every value", map[string]string{"login": "auth [success=done default=dye] pam_permit.so\nauth required pam_faillock.so\n"},
			"auth", "pam_faillock.so", true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := flowConfig(tt.files)
			var svc string
			for k := range tt.files {
				if _, isInc := map[string]bool{"common-password": true, "extra": true}[k]; !isInc {
					svc = k
				}
			}
			nodes, err := c.Flow(svc, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for i, n := range nodes {
				if n.Substack || n.ModuleName() != tt.module {
					continue
				}
				found = true
				v, err := Judge(nodes, i)
				if err != nil {
					t.Fatal(err)
				}
				if v.Enforced && !v.Runs {
					t.Errorf("%s: enforced but does not always run: %+v", tt.module, v)
				}
				if v.Enforced != tt.enforced || v.Reachable != tt.reach || !strings.Contains(v.Why, tt.why) {
					t.Errorf("%s: %+v, want enforced %v reachable %v why %q", tt.module, v, tt.enforced, tt.reach, tt.why)
				}
			}
			if !found {
				t.Fatalf("%s not in the flow", tt.module)
			}
		})
	}
}

func TestFlowRuns(t *testing.T) {
	c := flowConfig(map[string]string{"login": "auth optional pam_faildelay.so delay=4000000\nauth [success=1 default=ignore] pam_unix.so\nauth requisite pam_deny.so\nauth required pam_permit.so\nauth [success=1 default=ignore] pam_unix.so\nauth optional pam_umask.so\n"})
	nodes, err := c.Flow("login", "auth")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false, true, true, false} {
		v, err := Judge(nodes, i)
		if err != nil {
			t.Fatal(err)
		}
		if v.Runs != want || !want && !strings.Contains(v.RunsWhy, "skipped when") {
			t.Errorf("%s: %+v, want runs %v", nodes[i].ModuleName(), v, want)
		}
	}
	if v, _ := Judge(nodes, 0); v.Enforced {
		t.Errorf("an optional pam_faildelay is not enforced: %+v", v)
	}
}

func TestParseControl(t *testing.T) {
	a := ParseControl("[success=2 new_authtok_reqd=done default=ignore]")
	if a[0] != 2 || a[12] != ActDone || a[7] != ActIgnore {
		t.Errorf("bracket: %v", a)
	}
	if a := ParseControl("[success=ok]"); a[7] != ActBad {
		t.Errorf("unset values default to bad: %v", a[7])
	}
	if a := ParseControl("Sufficient"); a[0] != ActDone || a[7] != ActIgnore {
		t.Errorf("sufficient: %v", a)
	}
	if a := ParseControl("[success=0]"); a[0] != ActBad {
		t.Errorf("jump 0 is a parse error: %v", a[0])
	}
}

func FuzzFlow(f *testing.F) {
	f.Add("auth [success=2 default=ignore] pam_unix.so\nauth substack x\nauth required pam_deny.so\n", "auth sufficient pam_permit.so\nauth [success=reset] pam_env.so\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		c := flowConfig(map[string]string{"svc": a, "x": b})
		nodes, err := c.Flow("svc", "auth")
		if err != nil {
			return
		}
		for i := range nodes {
			v, err := Judge(nodes, i)
			if err != nil {
				return
			}
			if v.Enforced && !v.Reachable {
				t.Fatalf("node %d enforced but unreachable", i)
			}
		}
	})
}

func TestFlowTooLong(t *testing.T) {
	c := flowConfig(map[string]string{"svc": strings.Repeat("auth sufficient pam_unix.so\n", maxFlow+1)})
	nodes, err := c.Flow("svc", "auth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Judge(nodes, 0); !errors.Is(err, ErrFlowTooLong) {
		t.Errorf("Judge on %d lines: %v", len(nodes), err)
	}
}
