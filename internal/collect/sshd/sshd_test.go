package sshd

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func tree(t *testing.T, files map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, files)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Line
	}{
		{"plain", "PermitRootLogin no\n", []Line{{Num: 1, Keyword: "PermitRootLogin", Args: []string{"no"}}}},
		{"case-insensitive keyword", "permitrootlogin no", []Line{{Num: 1, Keyword: "PermitRootLogin", Args: []string{"no"}}}},
		{"equals", "MaxAuthTries=4", []Line{{Num: 1, Keyword: "MaxAuthTries", Args: []string{"4"}}}},
		{"spaced equals", "  MaxAuthTries = 4 ", []Line{{Num: 1, Keyword: "MaxAuthTries", Args: []string{"4"}}}},
		{"tab separated", "Subsystem\tsftp\t/usr/lib/openssh/sftp-server", []Line{{Num: 1, Keyword: "Subsystem", Args: []string{"sftp", "/usr/lib/openssh/sftp-server"}}}},
		{"comments and blanks", "# PermitRootLogin yes\n\n   #x\nBanner /etc/issue.net # trailing\n", []Line{{Num: 4, Keyword: "Banner", Args: []string{"/etc/issue.net"}}}},
		{"quotes", `AuthorizedKeysFile ".ssh/my keys" '%h/x'`, []Line{{Num: 1, Keyword: "AuthorizedKeysFile", Args: []string{".ssh/my keys", "%h/x"}}}},
		{"escaped space", `Banner /etc/my\ banner`, []Line{{Num: 1, Keyword: "Banner", Args: []string{"/etc/my banner"}}}},
		{"alias", "ChallengeResponseAuthentication no", []Line{{Num: 1, Keyword: "KbdInteractiveAuthentication", Args: []string{"no"}}}},
		{"unterminated", `Banner "x`, []Line{{Num: 1, Keyword: "Banner", Args: nil, Err: "unterminated quote"}}},
		{"no argument", "UsePAM", []Line{{Num: 1, Keyword: "UsePAM", Err: "no argument after keyword"}}},
		{"crlf", "UsePAM yes\r\n", []Line{{Num: 1, Keyword: "UsePAM", Args: []string{"yes"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse([]byte(tt.in))
			for i := range got {
				got[i].Spelling = ""
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// debianMain is the head of Debian 12's sshd_config.
const debianMain = `# This is the sshd server system-wide configuration file.
Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin prohibit-password
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem	sftp	/usr/lib/openssh/sftp-server
# Example of overriding settings on a per-user basis
Match User anoncvs
	X11Forwarding no
	PermitTTY no
`

func TestCollectDebianDropIns(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/ssh/sshd_config":                     debianMain,
		"etc/ssh/sshd_config.d/10-hardening.conf": "PermitRootLogin no\nX11Forwarding no\nPort 2222\n",
		"etc/ssh/sshd_config.d/20-later.conf":     "PermitRootLogin yes\nPort 22\n",
		"etc/ssh/sshd_config.d/.hidden.conf":      "PasswordAuthentication no\n",
		"etc/ssh/sshd_config.d/notes.txt":         "PasswordAuthentication no\n",
		"var/lib/dpkg/status":                     "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Installed || !c.Present || c.Version.Major != 9 || c.Version.Minor != 2 {
		t.Fatalf("installed=%v present=%v version=%v", c.Installed, c.Present, c.Version)
	}
	tests := []struct {
		kw, want, file string
		line           int
		def            bool
	}{
		{"PermitRootLogin", "no", "/etc/ssh/sshd_config.d/10-hardening.conf", 1, false},
		{"x11forwarding", "no", "/etc/ssh/sshd_config.d/10-hardening.conf", 2, false},
		{"Port", "2222 22", "/etc/ssh/sshd_config.d/10-hardening.conf", 3, false},
		{"UsePAM", "yes", "/etc/ssh/sshd_config", 6, false},
		{"PasswordAuthentication", "yes", "", 0, true},
		{"MaxAuthTries", "6", "", 0, true},
		{"PermitTTY", "yes", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.kw, func(t *testing.T) {
			v := c.Effective(tt.kw)
			if v.String() != tt.want || v.Default != tt.def {
				t.Fatalf("%s = %q default=%v, want %q default=%v", tt.kw, v.String(), v.Default, tt.want, tt.def)
			}
			if !tt.def && (v.Sources[0].File != tt.file || v.Sources[0].Line != tt.line) {
				t.Errorf("%s from %s:%d, want %s:%d", tt.kw, v.Sources[0].File, v.Sources[0].Line, tt.file, tt.line)
			}
		})
	}
	if ov := c.Effective("PermitTTY").Overrides; len(ov) != 1 || ov[0].Match.Criteria[1] != "anoncvs" {
		t.Errorf("PermitTTY overrides = %+v", ov)
	}
}

func TestCollectIncludeSemantics(t *testing.T) {
	tg := tree(t, map[string]string{
		"usr/sbin/sshd": "",
		"etc/ssh/sshd_config": `Include sshd_config.d/*.conf
Include /etc/ssh/extra/*.conf /etc/ssh/missing/*.conf
Match Group admins
  Include inmatch.conf
PasswordAuthentication no
`,
		// A Match in an included file ends with that file.
		"etc/ssh/sshd_config.d/a.conf": "Match User bob\n  PermitRootLogin yes\n",
		"etc/ssh/sshd_config.d/b.conf": "PermitRootLogin no\n",
		"etc/ssh/extra/loop.conf":      "Include /etc/ssh/extra/loop.conf\nMaxAuthTries 3\n",
		"etc/ssh/inmatch.conf":         "AllowTcpForwarding yes\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Effective("PermitRootLogin"); v.String() != "no" || len(v.Overrides) != 1 {
		t.Errorf("PermitRootLogin = %+v", v)
	}
	if v := c.Effective("AllowTcpForwarding"); !v.Default || len(v.Overrides) != 1 || v.Overrides[0].Match.Criteria[1] != "admins" {
		t.Errorf("AllowTcpForwarding = %+v", v)
	}
	if v := c.Effective("PasswordAuthentication"); !v.Default || len(v.Overrides) != 1 {
		t.Errorf("PasswordAuthentication = %+v", v)
	}
	if v := c.Effective("MaxAuthTries"); v.String() != "3" {
		t.Errorf("MaxAuthTries = %+v", v)
	}
	found := false
	for _, p := range c.Problems {
		found = found || strings.Contains(p, "nested too deeply")
	}
	if !found {
		t.Errorf("include loop not reported: %v", c.Problems)
	}
}

func TestCollectRHEL(t *testing.T) {
	t.Run("rhel9 crypto policy include", func(t *testing.T) {
		tg := tree(t, map[string]string{
			"etc/os-release":      "ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
			"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
			"etc/ssh/sshd_config.d/40-redhat-crypto-policies.conf": "Include /etc/crypto-policies/back-ends/opensshserver.config\n",
			"etc/ssh/sshd_config.d/50-redhat.conf":                 "SyslogFacility AUTHPRIV\nChallengeResponseAuthentication no\nGSSAPIAuthentication yes\nGSSAPICleanupCredentials no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n",
			"etc/crypto-policies/back-ends/opensshserver.config":   "Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr\nMACs hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha1\nKexAlgorithms curve25519-sha256,diffie-hellman-group14-sha256\n",
		})
		c, err := Collect(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version.Major != 8 || c.Version.Minor != 7 {
			t.Errorf("version %v", c.Version)
		}
		l, v := c.Algorithms("MACs")
		if len(l) != 4 || l[3] != "hmac-sha1" || v.Sources[0].File != "/etc/crypto-policies/back-ends/opensshserver.config" {
			t.Errorf("MACs %v from %+v", l, v.Sources)
		}
		if v := c.Effective("KbdInteractiveAuthentication"); v.String() != "no" {
			t.Errorf("alias: %+v", v)
		}
	})
	t.Run("rhel8 command-line policy", func(t *testing.T) {
		tg := tree(t, map[string]string{
			"etc/os-release":      "ID=\"rhel\"\nVERSION_ID=\"8.10\"\n",
			"etc/ssh/sshd_config": "Ciphers aes128-cbc\n",
			"etc/crypto-policies/back-ends/opensshserver.config": "CRYPTO_POLICY='-oCiphers=aes256-gcm@openssh.com,aes256-ctr -oMACs=hmac-sha2-256-etm@openssh.com -oGSSAPIKexAlgorithms=gss-curve25519-sha256-'\n",
		})
		c, err := Collect(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := c.Algorithms("Ciphers")
		if strings.Join(l, ",") != "aes256-gcm@openssh.com,aes256-ctr" {
			t.Errorf("Ciphers %v", l)
		}
		if d, _ := DefaultAlgorithms("KexAlgorithms", c.Version); d[len(d)-1] != "diffie-hellman-group14-sha1" {
			t.Errorf("8.0 kex default %v", d)
		}
	})
}

func TestNotInstalled(t *testing.T) {
	c, err := Collect(context.Background(), tree(t, map[string]string{"etc/os-release": "ID=debian\n"}))
	if err != nil || c.Installed {
		t.Fatalf("installed=%v err=%v", c.Installed, err)
	}
}

func TestAssembleAlgorithms(t *testing.T) {
	def := []string{"a-ctr", "b-gcm", "hmac-sha1"}
	tests := []struct{ spec, want string }{
		{"", "a-ctr,b-gcm,hmac-sha1"},
		{"x,y", "x,y"},
		{"+aes128-cbc", "a-ctr,b-gcm,hmac-sha1,aes128-cbc"},
		{"+aes*-cbc", "a-ctr,b-gcm,hmac-sha1,aes128-cbc,aes192-cbc,aes256-cbc"},
		{"-*sha1", "a-ctr,b-gcm"},
		{"-b-gcm,a-*", "hmac-sha1"},
		{"^3des-cbc", "3des-cbc,a-ctr,b-gcm,hmac-sha1"},
		{"^b-gcm", "b-gcm,a-ctr,hmac-sha1"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got := strings.Join(AssembleAlgorithms("Ciphers", tt.spec, def), ",")
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*-cbc", "aes128-cbc", true},
		{"*-cbc", "aes128-ctr", false},
		{"hmac-md5*", "hmac-md5-96-etm@openssh.com", true},
		{"*sha1*", "hmac-sha1", true},
		{"diffie-hellman-group?-sha1", "diffie-hellman-group1-sha1", true},
		{"diffie-hellman-group?-sha1", "diffie-hellman-group14-sha1", false},
		{"a*b*c", "axxbyyc", true},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.p, tt.s); got != tt.want {
			t.Errorf("MatchPattern(%q,%q)=%v", tt.p, tt.s, got)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := map[string]int64{"120": 120, "2m": 120, "1m30s": 90, "1H": 3600, "1w": 604800, "0": 0}
	for in, want := range tests {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "m", "1x", "99999999999m"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestFixtureTree(t *testing.T) {
	const root = "/var/cache/cradle-fixtures/rootfs-bookworm"
	if _, err := os.Stat(root + "/etc/ssh/sshd_config"); err != nil {
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
	if v := c.Effective("X11Forwarding"); v.String() != "yes" || v.Sources[0].File != "/etc/ssh/sshd_config" {
		t.Errorf("X11Forwarding %+v", v)
	}
	if v := c.Effective("PermitRootLogin"); !v.Default || v.String() != "prohibit-password" {
		t.Errorf("PermitRootLogin %+v", v)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(debianMain))
	f.Add([]byte("Ciphers=\"aes128-ctr\" # x\nMatch User a\n\tBanner '/x y'\\ z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range Parse(b) {
			if l.Num <= 0 || l.Keyword == "" {
				t.Fatalf("bad line %+v", l)
			}
		}
	})
}

func FuzzAssembleAlgorithms(f *testing.F) {
	f.Add("+aes*-cbc", "a*b")
	f.Add("-*sha1*,^x", "*?*")
	f.Fuzz(func(t *testing.T, spec, pat string) {
		def, _ := DefaultAlgorithms("KexAlgorithms", Version{})
		for _, a := range AssembleAlgorithms("KexAlgorithms", spec, def) {
			MatchPattern(pat, a)
		}
		ParseTime(spec)
	})
}

func TestProblems(t *testing.T) {
	tg := tree(t, map[string]string{
		"etc/ssh/sshd_config": "PermitRootLogin no\nNoSuchOption yes\nBanner \"unterminated\nGSSAPIEnablek5users yes\n",
	})
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) != 2 || !strings.Contains(c.Problems[0], `unknown keyword "NoSuchOption"`) || !strings.Contains(c.Problems[1], "unterminated quote") {
		t.Errorf("problems %q", c.Problems)
	}
	if v := c.Effective("PermitRootLogin"); v.String() != "no" {
		t.Errorf("PermitRootLogin %+v", v)
	}
}

func TestParseLongLine(t *testing.T) {
	in := "# " + strings.Repeat("x", 2<<20) + "\nPermitRootLogin yes\n"
	got := Parse([]byte(in))
	if len(got) != 1 || got[0].Keyword != "PermitRootLogin" || got[0].Num != 2 {
		t.Errorf("a long line hid later directives: %+v", got)
	}
}

// The server version comes from the store's package inventory, else from
// the platform; both facts are shared with the rest of the scan.
func TestVersionFromOtherFacts(t *testing.T) {
	const status = "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.6p1-3\n\n" +
		"Package: openssh-client\nStatus: install ok installed\nVersion: 1:8.0p1-1\n\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  Version
	}{
		{"dpkg", map[string]string{MainConfig: "", "var/lib/dpkg/status": status, "etc/os-release": "ID=debian\nVERSION_ID=12\n"},
			Version{Major: 9, Minor: 6, Source: "dpkg openssh-server 1:9.6p1-3"}},
		{"removed package falls back to the platform", map[string]string{MainConfig: "",
			"var/lib/dpkg/status": "Package: openssh-server\nStatus: deinstall ok config-files\nVersion: 1:9.6p1-3\n\n",
			"etc/os-release":      "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n"},
			Version{Major: 8, Minor: 9, Source: "distribution ubuntu 22.04"}},
		{"unknown", map[string]string{MainConfig: "", "etc/os-release": "ID=alpine\nVERSION_ID=3.20\n"}, Version{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := facts.NewStore(context.Background(), tree(t, tc.files))
			c, err := Get(s)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tc.want {
				t.Errorf("version %+v, want %+v", c.Version, tc.want)
			}
		})
	}
	// The os-release fact is taken from the store, not read again.
	s := facts.NewStore(context.Background(), tree(t, map[string]string{MainConfig: "", "etc/os-release": "ID=debian\nVERSION_ID=12\n"}))
	if _, err := facts.Get(s, osrelease.Key, func(context.Context, *facts.Store) (*osrelease.Info, error) {
		return &osrelease.Info{ID: "debian", VersionID: "11"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := Get(s); err != nil || c.Version.Source != "distribution debian 11" {
		t.Errorf("version %+v, %v: the store's os-release fact was not used", c.Version, err)
	}
}
