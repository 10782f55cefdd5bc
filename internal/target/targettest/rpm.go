package targettest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// demoSpec builds a small noarch package: a program, a symlink to it, a
// %config file and a %ghost file, the file kinds rpm's database records
// differently.
const demoSpec = `Name: cradle-demo
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
`

// RPMTree builds the cradle-demo 1.0-1 package with rpmbuild and installs
// it with rpm --root into a fresh tree (a SQLite rpmdb under
// /var/lib/rpm), returning the tree. Without working rpm tooling the test
// is skipped: a package that could not be built proves nothing.
func RPMTree(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"rpmbuild", "rpm"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s", p)
		}
	}
	top, tree := t.TempDir(), t.TempDir()
	spec := filepath.Join(top, "demo.spec")
	if err := os.WriteFile(spec, []byte(demoSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Skipf("%v: %v\n%s", args, err, out)
		}
	}
	run("rpmbuild", "--define", "_topdir "+top, "-bb", spec)
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "noarch", "*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("built %v", rpms)
	}
	run("rpm", "--root", tree, "--dbpath", "/var/lib/rpm", "--initdb")
	run("rpm", "--root", tree, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--noscripts", rpms[0])
	return tree
}
