package rules

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "abc", 0},
		{"mounts.tmp.", "mount.tmp.", 1},
		{"kitten", "sitting", 3},
		{"ssh.x11_forwardng", "ssh.x11_forwarding", 1},
		{"ab", "ba", 1},
		{"a.tow", "a.two", 1},
		{"ca", "abc", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	s := &Set{}
	for _, id := range []string{"mount.tmp.noexec", "mount.tmp.nodev", "mount.var_tmp.noexec", "ssh.x11_forwarding", "ssh.permit_root_login", "audit.mounts"} {
		s.Rules = append(s.Rules, &Rule{ID: id})
	}
	for _, tc := range []struct {
		in, suggest, msg string
	}{
		{"ssh.x11_forwardng", "ssh.x11_forwarding", `unknown rule "ssh.x11_forwardng"; did you mean "ssh.x11_forwarding"?`},
		{"SSH.X11_Forwarding", "ssh.x11_forwarding", `unknown rule "SSH.X11_Forwarding"; did you mean "ssh.x11_forwarding"?`},
		{"ssh.permitrootlogin", "ssh.permit_root_login", `unknown rule "ssh.permitrootlogin"; did you mean "ssh.permit_root_login"?`},
		{"mount.tmp.noexc", "mount.tmp.noexec", `unknown rule "mount.tmp.noexc"; did you mean "mount.tmp.noexec"?`},
		{"firewall.default_deny", "", `unknown rule "firewall.default_deny"`},
		{"xy", "", `unknown rule "xy"`},
		{"mounts.tmp.*", "mount.tmp.*", `"mounts.tmp.*" matches no rule; did you mean "mount.tmp.*"?`},
		{"sshd.*", "ssh.*", `"sshd.*" matches no rule; did you mean "ssh.*"?`},
		{"mount.tmp.nox*", "mount.tmp.no*", `"mount.tmp.nox*" matches no rule; did you mean "mount.tmp.no*"?`},
		{"kernel.*", "", `"kernel.*" matches no rule`},
		{"*.nosuid", "", `"*.nosuid" matches no rule`},
		{"ssh.[", "", `"ssh.[" is not a rule id or glob`},
		{" ", "", "empty rule id"},
		{"mount.tmp.*", "", ""},
		{"ssh.x11_forwarding", "", ""},
	} {
		if tc.msg != "" && tc.in != " " && tc.in != "ssh.[" {
			if got := s.Suggest(tc.in); got != tc.suggest {
				t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.suggest)
			}
		}
		if got := s.Unmatched(tc.in); got != tc.msg {
			t.Errorf("Unmatched(%q) = %q, want %q", tc.in, got, tc.msg)
		}
	}
}

func TestClosestTies(t *testing.T) {
	if got := Closest("ab.c", []string{"ab.d", "ab.e"}); got != "ab.d" {
		t.Errorf("Closest tie = %q, want the first", got)
	}
	if got := Closest("abc", nil); got != "" {
		t.Errorf("Closest without candidates = %q", got)
	}
}
