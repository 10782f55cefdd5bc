package pkgtrust

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

func TestParseAptConf(t *testing.T) {
	c := &AptConf{}
	files := []struct{ name, body string }{
		{"/etc/apt/apt.conf.d/10periodic", `// comment
APT::Periodic::Update-Package-Lists "0";
APT {
  Periodic {
    Unattended-Upgrade "1"; /* inline
    comment */
    Download-Upgradeable-Packages "1";
  };
  Get::AllowUnauthenticated "true";
};
# a hash comment
Unattended-Upgrade::Origins-Pattern {
        "origin=Debian,codename=${distro_codename},label=Debian-Security";
        "origin=Debian";
};
`},
		{"/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Update-Package-Lists \"1\";\n#clear APT::Get;\nacquire::AllowInsecureRepositories true;\n"},
	}
	for _, f := range files {
		if err := c.ParseAptConf([]byte(f.body), f.name); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		key, value, file string
		line             int
		ok               bool
	}{
		{"APT::Periodic::Update-Package-Lists", "1", "/etc/apt/apt.conf.d/20auto-upgrades", 1, true},
		{"apt::periodic::unattended-upgrade", "1", "/etc/apt/apt.conf.d/10periodic", 5, true},
		{"APT::Periodic::Download-Upgradeable-Packages", "1", "/etc/apt/apt.conf.d/10periodic", 7, true},
		{"APT::Get::AllowUnauthenticated", "", "", 0, false},
		{"Acquire::AllowInsecureRepositories", "true", "/etc/apt/apt.conf.d/20auto-upgrades", 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			a, ok := c.Lookup(tc.key)
			if ok != tc.ok || a.Value != tc.value || a.File != tc.file || a.Line != tc.line {
				t.Errorf("got %+v %v", a, ok)
			}
		})
	}
	if a, _ := c.Lookup("Unattended-Upgrade::Origins-Pattern"); len(a.List) != 2 {
		t.Errorf("list %+v", a)
	}
}

func TestParseAptConfErrors(t *testing.T) {
	for _, in := range []string{"APT {", "}", "A \"unterminated;", "A /* x", "A b c;"} {
		c := &AptConf{}
		if err := c.ParseAptConf([]byte(in), "f"); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseSourcesList(t *testing.T) {
	in := `deb http://deb.debian.org/debian bookworm main
deb [arch=amd64 trusted=yes] http://repo.example/ stable main # comment
# deb http://disabled/ x y
deb-src [ signed-by=/usr/share/keyrings/x.gpg allow-insecure=yes ] https://x/ y z
garbage line
`
	got := ParseSourcesList([]byte(in), "/etc/apt/sources.list")
	if len(got) != 3 {
		t.Fatalf("got %+v", got)
	}
	if got[1].Options["trusted"] != "yes" || got[1].Line != 2 || got[2].Options["allow-insecure"] != "yes" || got[2].URIs[0] != "https://x/" {
		t.Errorf("got %+v", got)
	}
}

func TestParseDeb822(t *testing.T) {
	in := `Types: deb deb-src
URIs: https://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# disabled
Types: deb
URIs: http://x/
Suites: y
Enabled: no
Trusted: yes
`
	got := ParseDeb822Sources([]byte(in), "/etc/apt/sources.list.d/debian.sources")
	if len(got) != 2 || !got[0].Enabled || got[1].Enabled || got[1].Options["trusted"] != "yes" || got[1].Line != 8 {
		t.Fatalf("got %+v", got)
	}
}

func TestParseINI(t *testing.T) {
	in := "[main]\ngpgcheck=1\n\n[epel]\nname=EPEL\nbaseurl=https://a/\n  https://b/\ngpgcheck = 0\nenabled=1\n"
	s := ParseINI([]byte(in))
	if len(s) != 2 || s[1].Options["gpgcheck"].Value != "0" || s[1].Options["gpgcheck"].Line != 8 || s[1].Options["baseurl"].Value != "https://a/ https://b/" {
		t.Fatalf("got %+v", s)
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"etc/apt/sources.list":                    "deb http://deb.debian.org/debian bookworm main\n",
		"etc/apt/sources.list.d/x.sources":        "Types: deb\nURIs: https://x/\nSuites: s\nTrusted: yes\n",
		"etc/apt/sources.list.d/ignored.list.bak": "deb [trusted=yes] http://y/ s main\n",
		"etc/apt/apt.conf.d/99local":              "APT::Get::AllowUnauthenticated \"1\";\n",
		"etc/apt/apt.conf":                        "APT::Get::AllowUnauthenticated \"0\";\n",
		"etc/dnf/dnf.conf":                        "[main]\ngpgcheck=1\n",
		"etc/yum.repos.d/a.repo":                  "[base]\nbaseurl=https://a/\n[extra]\nbaseurl=http://b/\ngpgcheck=0\nenabled=0\n",
		"etc/apk/repositories":                    "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n@edge http://x/edge\n",
		"etc/apk/config":                          "allow-untrusted\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	tr, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Apt.Sources) != 2 || tr.Apt.Sources[1].Options["trusted"] != "yes" {
		t.Errorf("apt sources %+v", tr.Apt.Sources)
	}
	if a, _ := tr.Apt.Conf.Lookup("APT::Get::AllowUnauthenticated"); a.Value != "0" || a.File != "/etc/apt/apt.conf" {
		t.Errorf("apt.conf must be read last: %+v", a)
	}
	if len(tr.Dnf.Repos) != 2 || tr.Dnf.Repos[1].Enabled {
		t.Errorf("dnf %+v", tr.Dnf.Repos)
	}
	if v, f, l, ok := tr.Dnf.Effective(0, "gpgcheck"); !ok || v != "1" || f != "/etc/dnf/dnf.conf" || l != 2 {
		t.Errorf("effective gpgcheck %q %s:%d", v, f, l)
	}
	if len(tr.Apk.Repos) != 2 || tr.Apk.Repos[1].URIs[0] != "http://x/edge" || !tr.Apk.Untrusted {
		t.Errorf("apk %+v", tr.Apk)
	}
}

func TestBookworm(t *testing.T) {
	const root = "/var/cache/cradle-fixtures/rootfs-bookworm"
	if _, err := os.Stat(root); err != nil {
		t.Skip("fixture rootfs not built")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	tr, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Apt == nil || len(tr.Apt.Sources) == 0 || tr.Dnf != nil || tr.Apk != nil {
		t.Fatalf("got %+v", tr)
	}
	if a, ok := tr.Apt.Conf.Lookup("APT::Periodic::Unattended-Upgrade"); !ok || a.Value != "1" {
		t.Errorf("unattended-upgrade %+v", a)
	}
}

func FuzzParseAptConf(f *testing.F) {
	f.Add([]byte("APT { Periodic { Unattended-Upgrade \"1\"; }; };\n#clear APT;\nA::B { \"x\"; };"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &AptConf{}
		c.ParseAptConf(b, "f")
	})
}

func FuzzParseSources(f *testing.F) {
	f.Add([]byte("deb [trusted=yes] http://x/ s main\n"), []byte("Types: deb\nURIs: http://x/\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ParseSourcesList(a, "f")
		ParseDeb822Sources(b, "f")
	})
}

func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[main]\ngpgcheck=1\n  cont\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseINI(b)
		ParseApkRepositories(b, "f")
		ParseApkConfigUntrusted(b)
	})
}
