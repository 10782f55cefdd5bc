package catalogers

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExcluded: the walk does not enter another system's tree (a nested
// root filesystem, a container store) and says which it left out; a
// version-control store is skipped without being listed.
func TestExcluded(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"srv/app/requirements.txt":                   "flask==3.0.0\n",
		"srv/chroot/etc/os-release":                  "ID=debian\n",
		"srv/chroot/usr/bin/.keep":                   "",
		"srv/chroot/srv/requirements.txt":            "django==5.0\n",
		"var/lib/docker/overlay2/x/requirements.txt": "requests==2.31.0\n",
		"srv/app/.git/requirements.txt":              "idna==3.6\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := collect(t, root, Options{})
	var got []string
	for _, p := range r.Packages {
		got = append(got, p.PURL)
	}
	if want := []string{"pkg:pypi/flask@3.0.0"}; !slices.Equal(got, want) {
		t.Errorf("packages %v, want %v", got, want)
	}
	want := []string{
		"/srv/chroot: own root filesystem: etc/os-release and usr/bin",
		"/var/lib/docker: container store: Docker",
	}
	if !slices.Equal(r.Excluded, want) {
		t.Errorf("excluded %q, want %q", r.Excluded, want)
	}
}

// TestUserExcluded: trees named in Options.Exclude are not entered and
// are listed; a file can be excluded too; a path that merely shares the
// prefix is still walked.
func TestUserExcluded(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"srv/app/requirements.txt":              "flask==3.0.0\n",
		"root/go/pkg/mod/x@v1/requirements.txt": "django==5.0\n",
		"root/go/pkg/modx/requirements.txt":     "idna==3.6\n",
		"opt/one/requirements.txt":              "requests==2.31.0\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := collect(t, root, Options{Exclude: []string{"/root/go/pkg/mod", "opt/one/requirements.txt/"}})
	var got []string
	for _, p := range r.Packages {
		got = append(got, p.PURL)
	}
	slices.Sort(got)
	if want := []string{"pkg:pypi/flask@3.0.0", "pkg:pypi/idna@3.6"}; !slices.Equal(got, want) {
		t.Errorf("packages %v, want %v", got, want)
	}
	if want := []string{"/root/go/pkg/mod: excluded (--exclude)"}; !slices.Equal(r.Excluded, want) {
		t.Errorf("excluded %q, want %q", r.Excluded, want)
	}
}
