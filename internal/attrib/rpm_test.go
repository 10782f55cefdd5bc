package attrib

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// TestLoadRPMReal builds a real package with rpmbuild, installs it into
// a tree with rpm --root (a SQLite rpmdb, left with its write-ahead
// log) and verifies the tree's files against it.
func TestLoadRPMReal(t *testing.T) {
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
	tg, err := target.OpenRootFS(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	x, err := LoadPackages(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if x.Manager != "rpm" || x.Packages != 1 || len(x.Files) != 2 || x.Files["/etc/cradle-demo.conf"][0].Conffile != true {
		t.Fatalf("%+v", x)
	}
	if o := x.Owners("/usr/bin/cradle-demo"); len(o) != 1 || o[0].Ref() != "cradle-demo 1.0-1" || o[0].Algo != AlgoSHA256 {
		t.Fatalf("%+v", o)
	}
	os.WriteFile(filepath.Join(tree, "usr/bin/cradle-demo"), []byte("v2\n"), 0o755)
	res, err := Verify(context.Background(), tg, x, VerifyOptions{Conffiles: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		got[r.Path] = r.Status
	}
	if len(got) != 2 || got["/usr/bin/cradle-demo"] != FileMismatch || got["/etc/cradle-demo.conf"] != FileOK {
		t.Fatalf("%v", got)
	}
}
