package sshd

import (
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
)

// TestEffectiveFor pins the sshd semantics the differential test found
// or checks, one trap per row, so they hold without the fixture.
func TestEffectiveFor(t *testing.T) {
	db := &accounts.DB{
		Users:  []accounts.User{{Name: "alice", GID: 1001}, {Name: "root", GID: 0}},
		Groups: []accounts.Group{{Name: "alice", GID: 1001}, {Name: "root", GID: 0}, {Name: "staff", GID: 50, Members: []string{"alice"}}},
	}
	alice := ConnFor(db, "alice", "Laptop.Example.ORG", "10.1.2.3", "10.0.0.1", 22)
	root := ConnFor(db, "root", "gw.example.com", "192.168.1.10", "10.0.0.1", 2222)
	carol := ConnFor(db, "carol", "x", "172.16.5.4", "10.0.0.1", 22)
	tests := []struct {
		name  string
		files map[string]string
		kw    string
		conn  Conn
		want  string
	}{
		{"match overrides global", map[string]string{"etc/ssh/sshd_config": "PasswordAuthentication yes\nMatch User alice\n  PasswordAuthentication no\n"}, "PasswordAuthentication", alice, "no"},
		{"first matching block wins", map[string]string{"etc/ssh/sshd_config": "Match Group staff\n  MaxAuthTries 2\nMatch all\n  MaxAuthTries 5\n"}, "MaxAuthTries", alice, "2"},
		{"negation alone never matches", map[string]string{"etc/ssh/sshd_config": "Match User !root\n  X11Forwarding yes\n"}, "X11Forwarding", alice, "no"},
		{"negation with a positive pattern", map[string]string{"etc/ssh/sshd_config": "Match User !root,*\n  X11Forwarding yes\n"}, "X11Forwarding", alice, "yes"},
		{"negated group wins", map[string]string{"etc/ssh/sshd_config": "Match Group *,!staff\n  X11Forwarding yes\n"}, "X11Forwarding", alice, "no"},
		{"unknown user has no groups", map[string]string{"etc/ssh/sshd_config": "Match Group *\n  X11Forwarding yes\n"}, "X11Forwarding", carol, "no"},
		{"host is case-insensitive", map[string]string{"etc/ssh/sshd_config": "Match Host laptop.*\n  LogLevel VERBOSE\n"}, "LogLevel", alice, "VERBOSE"},
		{"address cidr and negation", map[string]string{"etc/ssh/sshd_config": "Match Address !10.1.2.3,10.0.0.0/8\n  LogLevel VERBOSE\n"}, "LogLevel", alice, "INFO"},
		{"local port", map[string]string{"etc/ssh/sshd_config": "Match LocalPort 2222\n  PermitRootLogin no\n"}, "PermitRootLogin", root, "no"},
		{"criteria are anded", map[string]string{"etc/ssh/sshd_config": "Match User root Address 10.0.0.0/8\n  PermitRootLogin no\n"}, "PermitRootLogin", root, "prohibit-password"},
		{"match blocks replace lists", map[string]string{"etc/ssh/sshd_config": "AllowUsers a b\nMatch User alice\n  AllowUsers c\nMatch all\n  AllowUsers d\n"}, "AllowUsers", alice, "c d"},
		{"global-only keyword keeps the global value", map[string]string{"etc/ssh/sshd_config": "Match all\n  PrintMotd no\nPrintMotd yes\n"}, "PrintMotd", alice, "no"},
		{"include in a match block", map[string]string{"etc/ssh/sshd_config": "Match User root\n  Include /etc/ssh/d/*.conf\n", "etc/ssh/d/a.conf": "X11Forwarding yes\n"}, "X11Forwarding", alice, "no"},
		{"include in a matching block", map[string]string{"etc/ssh/sshd_config": "Match User alice\n  Include /etc/ssh/d/*.conf\n", "etc/ssh/d/a.conf": "X11Forwarding yes\n"}, "X11Forwarding", alice, "yes"},
		{"match in an included file ends with it", map[string]string{"etc/ssh/sshd_config": "Include /etc/ssh/d/*.conf\nX11Forwarding yes\n", "etc/ssh/d/a.conf": "Match User root\n"}, "X11Forwarding", alice, "yes"},
		{"maxstartups last wins", map[string]string{"etc/ssh/sshd_config": "MaxStartups 10:30:100\nMaxStartups 3:50:10\n"}, "MaxStartups", alice, "3:50:10"},
		{"rekey interval kept from global", map[string]string{"etc/ssh/sshd_config": "RekeyLimit 1G 1h\nMatch User alice\n  RekeyLimit 512M\n"}, "RekeyLimit", alice, "512M 1h"},
		{"alias spelling", map[string]string{"etc/ssh/sshd_config": "ChallengeResponseAuthentication no\n"}, "KbdInteractiveAuthentication", alice, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Collect(t.Context(), tree(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.EffectiveFor(tt.kw, tt.conn).String(); got != tt.want {
				t.Errorf("%s = %q, want %q (problems %q)", tt.kw, got, tt.want, c.Problems)
			}
		})
	}
}

func TestMaySelectUser(t *testing.T) {
	db := &accounts.DB{Users: []accounts.User{{Name: "root"}}, Groups: []accounts.Group{{Name: "root"}}}
	root := ConnFor(db, "root", "", "", "", 0)
	c, err := Collect(t.Context(), tree(t, map[string]string{
		"etc/ssh/sshd_config": "Match User alice\n  PermitRootLogin yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n" +
			"Match Group sftponly\n  Include /etc/ssh/d/*.conf\nMatch User *,!root\n  PermitRootLogin yes\n",
		"etc/ssh/d/a.conf": "PermitRootLogin yes\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, d := range c.Directives {
		got = append(got, d.MaySelectUser(root))
	}
	if want := []bool{false, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("MaySelectUser(root) = %v, want %v", got, want)
	}
}

func TestMatchProblems(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"global keyword in a match block", "Match User x\n  PrintMotd no\n", "not allowed within a Match block"},
		{"alias that is global-only", "Match User x\n  DSAAuthentication no\n", "not allowed within a Match block"},
		{"bad criterion", "Match Colour blue\n", "unsupported Match attribute"},
		{"all combined", "Match all User x\n", "'all' cannot be combined"},
		{"inconsistent mask", "Match Address 10.0.0.1/8\n", "invalid Match Address"},
		{"any after a value", "AuthenticationMethods publickey\nAuthenticationMethods any\n", `"any" must appear alone`},
		{"unsatisfiable methods", "PubkeyAuthentication no\nAuthenticationMethods publickey\n", "cannot be satisfied"},
		{"none", "Protocol 2\nRSAAuthentication no\nMatch all\n  PrintMotd no\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Collect(t.Context(), tree(t, map[string]string{"etc/ssh/sshd_config": tt.config}))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(c.Problems, "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("problems %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzMatch: a Match line from a hostile configuration never panics,
// its syntax errors do not depend on the connection, and at start-up
// only "Match all" matches.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"all", "User alice", "User !root,* Address 10.0.0.0/8", "Group", "Address 10.0.0.1/8",
		"LocalPort 99999", "Host *.EXAMPLE.com LocalAddress ::1", "User=alice", "all User x", "Address !,", "Address 2001:db8::/129"} {
		f.Add(s)
	}
	conn := &Conn{User: "alice", Host: "h.example.com", Addr: "10.1.2.3", LAddr: "::1", LPort: 22, Groups: []string{"staff"}, UserExists: true}
	f.Fuzz(func(t *testing.T, s string) {
		crit := strings.Fields(s)
		atStart, err1 := evalMatch(crit, nil)
		_, err2 := evalMatch(crit, conn)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q: start-up error %v, connection error %v", s, err1, err2)
		}
		if atStart && (len(crit) != 1 || !strings.EqualFold(crit[0], "all")) {
			t.Fatalf("%q matches at start-up", s)
		}
	})
}
