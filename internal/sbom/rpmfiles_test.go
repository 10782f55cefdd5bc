package sbom

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// TestRPMFileHashes builds a package with rpmbuild, installs it into a
// tree with rpm --root (SQLite rpmdb) and checks the component's SHA-512
// covers its regular files: not the symlink, not the %ghost file.
func TestRPMFileHashes(t *testing.T) {
	for _, p := range []string{"rpmbuild", "rpm"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s", p)
		}
	}
	top, tree := t.TempDir(), t.TempDir()
	spec := filepath.Join(top, "demo.spec")
	os.WriteFile(spec, []byte(`Name: cradle-demo
Version: 1.0
Release: 1
Summary: test
License: MIT
BuildArch: noarch
%description
test
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc
printf 'v1\n' > %{buildroot}/usr/bin/cradle-demo
chmod 755 %{buildroot}/usr/bin/cradle-demo
echo conf > %{buildroot}/etc/cradle-demo.conf
ln -s cradle-demo %{buildroot}/usr/bin/cradle-link
%files
/usr/bin/cradle-demo
/usr/bin/cradle-link
%config /etc/cradle-demo.conf
%ghost /etc/cradle-demo.state
`), 0o644)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Skipf("%v: %v\n%s", args, err, out) // rpm tooling that does not work here proves nothing
		}
	}
	run("rpmbuild", "--define", "_topdir "+top, "-bb", spec)
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "noarch", "*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("built %v", rpms)
	}
	run("rpm", "--root", tree, "--dbpath", "/var/lib/rpm", "--initdb")
	run("rpm", "--root", tree, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--noscripts", rpms[0])
	os.WriteFile(filepath.Join(tree, "etc", "cradle-demo.state"), []byte("state"), 0o644)
	tg, err := target.OpenRootFS(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := Build(context.Background(), tg, "rpm", false)
	if err != nil {
		t.Fatal(err)
	}
	line := func(p, content string) string {
		s := sha512.Sum512([]byte(content))
		return hex.EncodeToString(s[:]) + "  " + p + "\n"
	}
	want := sha512.Sum512([]byte(line("/etc/cradle-demo.conf", "conf\n") + line("/usr/bin/cradle-demo", "v1\n")))
	for _, c := range b.Components {
		if c.Name != "cradle-demo" {
			continue
		}
		if c.SHA512 != hex.EncodeToString(want[:]) || len(c.Files) != 2 || c.Executable != "executable" || c.Unavailable[FieldHash] != "" {
			t.Errorf("files %+v, hash %s, executable %q, unavailable %v", c.Files, c.SHA512, c.Executable, c.Unavailable)
		}
		return
	}
	t.Fatalf("no cradle-demo component in %+v", b.Components)
}
