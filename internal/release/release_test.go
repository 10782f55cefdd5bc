package release

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/cradle-cra/cradle/internal/cli"
	"github.com/cradle-cra/cradle/internal/version"
)

// The release tests build every artifact of this checkout once (or take
// the directory CI built with scripts/release.sh from CRADLE_RELEASE_DIR),
// then check it the way a user would meet it.

var shared struct {
	once sync.Once
	dir  string
	meta Meta
	err  error
	tmp  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.tmp != "" {
		os.RemoveAll(shared.tmp)
	}
	os.Exit(code)
}

// required fails the test when CI requires everything to run
// (CRADLE_REQUIRE_FIXTURES=1), and skips it otherwise.
func required(t *testing.T, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// release returns the artifact directory and the Meta it must have been
// built with.
func release(t *testing.T) (string, Meta) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds three binaries; skipped with -short")
	}
	shared.once.Do(func() {
		ctx := context.Background()
		root := moduleRoot(t)
		shared.meta, shared.err = Describe(ctx, root, true, os.Getenv("SOURCE_DATE_EPOCH"))
		if shared.err != nil {
			return
		}
		if dir := os.Getenv("CRADLE_RELEASE_DIR"); dir != "" {
			shared.dir = dir
			return
		}
		if shared.tmp, shared.err = os.MkdirTemp("", "cradle-release-test-"); shared.err != nil {
			return
		}
		shared.dir = filepath.Join(shared.tmp, "dist")
		_, shared.err = Build(ctx, Options{Dir: root, Out: shared.dir, Snapshot: true,
			SourceDateEpoch: os.Getenv("SOURCE_DATE_EPOCH"), Go: goCommand()})
	})
	if shared.err != nil {
		var ee *exec.Error
		if shared.meta.Revision == "" && (errors.As(shared.err, &ee) || strings.Contains(shared.err.Error(), "not a git checkout")) {
			required(t, "release tests need a git checkout and git: %v", shared.err)
		}
		t.Fatal(shared.err)
	}
	return shared.dir, shared.meta
}

func readSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("%s: bad line %q", SumsFile, line)
		}
		sums[name] = sum
	}
	return sums
}

func TestArtifacts(t *testing.T) {
	dir, m := release(t)
	sums := readSums(t, dir)
	var want []string
	for _, p := range Platforms {
		want = append(want, BinaryName(p))
	}
	debVer := strings.Replace(m.Version, "-", "~", 1)
	want = append(want, "cradle_"+debVer+"_amd64.deb", "cradle_"+debVer+"_arm64.deb", ImageName(m.Version))
	var rpms int
	for name := range sums {
		if strings.HasSuffix(name, ".rpm") {
			rpms++
			want = append(want, name)
		}
	}
	if rpms != 2 {
		t.Errorf("%d rpm packages, want 2: %v", rpms, sums)
	}
	got := slices.Sorted(maps.Keys(sums))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s lists\n%v\nwant\n%v", SumsFile, got, want)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(sums)+1 {
		t.Errorf("%d files in %s, %s lists %d", len(ents), dir, SumsFile, len(sums))
	}
	for name, sum := range sums {
		if got, err := fileSHA256(filepath.Join(dir, name)); err != nil || got != sum {
			t.Errorf("%s: sha256 %s (%v), %s says %s", name, got, err, SumsFile, sum)
		}
	}

	// Static: no ELF interpreter, no dynamic section; a PE of the right machine.
	for _, p := range Platforms {
		path := filepath.Join(dir, BinaryName(p))
		if p.OS == "windows" {
			f, err := pe.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
				t.Errorf("%s: machine %#x", path, f.Machine)
			}
			f.Close()
			continue
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Arch]
		if f.Machine != wantMachine {
			t.Errorf("%s: machine %v", path, f.Machine)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
				t.Errorf("%s: not static (%v)", path, prog.Type)
			}
		}
		f.Close()
	}

	for name := range sums {
		if strings.HasSuffix(name, ".rpm") {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.HasPrefix(b, []byte{0xed, 0xab, 0xee, 0xdb}) {
				t.Errorf("%s: not an RPM package (%v)", name, err)
			}
		}
	}

	// The binary for this machine reports the stamped identity.
	host := filepath.Join(dir, BinaryName(Platform{runtime.GOOS, runtime.GOARCH}))
	if _, err := os.Stat(host); err != nil {
		t.Logf("no binary for %s/%s to run", runtime.GOOS, runtime.GOARCH)
		return
	}
	checkVersionOutput(t, exec.Command(host, "version", "--format", "json"), m, runtime.GOOS, runtime.GOARCH)
}

// checkVersionOutput runs cmd (a `cradle version --format json`) and
// compares what it reports with m.
func checkVersionOutput(t *testing.T, cmd *exec.Cmd, m Meta, goos, goarch string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	var d version.Document
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	want := version.Document{SchemaVersion: version.SchemaVersion, Kind: version.Kind, Version: m.Version,
		Revision: m.Revision, Time: m.Epoch.Format(time.RFC3339), Modified: m.Modified,
		GoVersion: runtime.Version(), OS: goos, Arch: goarch}
	if d != want {
		t.Errorf("%v reports\n%+v\nwant\n%+v", cmd.Args, d, want)
	}
}

// TestReproducible rebuilds everything into a second directory and
// requires byte-identical artifacts. (Compiled packages may come from the
// build cache; linking, stamping and packaging run again. A fully cold
// check is `GOCACHE=$(mktemp -d) scripts/release.sh`, docs/release.md.)
func TestReproducible(t *testing.T) {
	dir, m := release(t)
	again := filepath.Join(t.TempDir(), "again")
	res, err := Build(context.Background(), Options{Dir: moduleRoot(t), Out: again, Snapshot: true,
		SourceDateEpoch: os.Getenv("SOURCE_DATE_EPOCH"), Go: goCommand()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta != m {
		t.Fatalf("the checkout changed between the two builds (%+v, then %+v); not comparable", m, res.Meta)
	}
	first, second := readSums(t, dir), readSums(t, again)
	for name, sum := range first {
		if second[name] != sum {
			t.Errorf("%s differs between two builds: %s, then %s", name, sum, second[name])
		}
	}
	if len(first) != len(second) {
		t.Errorf("first build has %d artifacts, second %d", len(first), len(second))
	}
}

// TestDebInstallsInChroot installs the .deb into a copy of the debootstrap
// fixture with the fixture's own dpkg and runs cradle there.
func TestDebInstallsInChroot(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the fixture is a linux/amd64 tree; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	fixture := os.Getenv("CRADLE_TEST_ROOTFS")
	if fixture == "" {
		required(t, "CRADLE_TEST_ROOTFS is not set (run scripts/fixture-rootfs.sh)")
	}
	if os.Geteuid() != 0 {
		required(t, "installing into a chroot needs root")
	}
	dir, m := release(t)
	var deb string
	for name := range readSums(t, dir) {
		if strings.HasSuffix(name, "_amd64.deb") {
			deb = name
		}
	}
	if deb == "" {
		t.Fatal("no amd64 .deb")
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", fixture, root).CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, deb))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "tmp", deb), b, 0o644); err != nil {
		t.Fatal(err)
	}
	chroot := func(args ...string) *exec.Cmd {
		cmd := exec.Command("chroot", append([]string{root}, args...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
		return cmd
	}
	if out, err := chroot("dpkg", "-i", "/tmp/"+deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	out, err := chroot("dpkg-query", "-W", "-f", "${Status} ${Version}", "cradle").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "install ok installed ") {
		t.Fatalf("dpkg-query: %v: %s", err, out)
	}
	checkVersionOutput(t, chroot("cradle", "version", "--format", "json"), m, "linux", "amd64")
	for _, p := range []string{"usr/share/man/man1/cradle.1.gz", "usr/share/man/man1/cradle-scan.1.gz",
		"usr/share/bash-completion/completions/cradle", "usr/share/zsh/vendor-completions/_cradle",
		"usr/share/fish/vendor_completions.d/cradle.fish", "usr/share/doc/cradle/copyright"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("installed package lacks /%s: %v", p, err)
		}
	}
	if out, err := chroot("dpkg", "--purge", "cradle").CombinedOutput(); err != nil {
		t.Errorf("dpkg --purge: %v\n%s", err, out)
	}
	if _, err := os.Lstat(filepath.Join(root, "usr/bin/cradle")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/usr/bin/cradle after purge: %v", err)
	}
}

// TestRPMInstalls checks the x86_64 .rpm with rpm itself (digests,
// metadata) and installs it into an empty root, where the static binary
// runs in a chroot with nothing else beside it.
func TestRPMInstalls(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("runs the amd64 binary; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if _, err := exec.LookPath("rpm"); err != nil {
		required(t, "rpm is not installed (apt-get install rpm)")
	}
	if os.Geteuid() != 0 {
		required(t, "installing files owned by root needs root")
	}
	dir, m := release(t)
	var pkg string
	for name := range readSums(t, dir) {
		if strings.HasSuffix(name, ".x86_64.rpm") {
			pkg = filepath.Join(dir, name)
		}
	}
	if pkg == "" {
		t.Fatal("no x86_64 .rpm")
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("rpm", "--checksig", "--nosignature", pkg)
	got := run("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{LICENSE} %{BUILDHOST} %{BUILDTIME}", pkg)
	want := fmt.Sprintf("cradle %s Apache-2.0 cradle-release %d", strings.Replace(m.Version, "-", "~", 1), m.Epoch.Unix())
	if got != want {
		t.Errorf("rpm metadata %q, want %q", got, want)
	}
	root := t.TempDir()
	run("rpm", "--root", root, "--initdb")
	run("rpm", "--root", root, "-i", "--nodeps", "--noscripts", pkg)
	run("rpm", "--root", root, "-V", "cradle")
	for _, p := range []string{"usr/share/man/man1/cradle-scan.1.gz", "usr/share/zsh/site-functions/_cradle",
		"usr/share/licenses/cradle/LICENSE"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("installed package lacks /%s: %v", p, err)
		}
	}
	checkVersionOutput(t, exec.Command("chroot", root, "/usr/bin/cradle", "version", "--format", "json"), m, "linux", "amd64")
}

// TestImage scans the OCI image with cradle itself and checks that each
// platform's image holds exactly the binary and names it as entrypoint.
func TestImage(t *testing.T) {
	dir, m := release(t)
	tarPath := filepath.Join(dir, ImageName(m.Version))

	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"scan", "--image", tarPath, "--format", "json"},
		cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	if code != 0 && code != 3 {
		t.Fatalf("cradle scan --image: exit %d\n%s", code, stderr.String())
	}
	var rep struct {
		Target struct{ Kind string } `json:"target"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Target.Kind != "image" {
		t.Errorf("scan report: target %+v, %v", rep.Target, err)
	}

	lay := filepath.Join(t.TempDir(), "layout")
	untar(t, tarPath, lay)
	top, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil || len(tm.Manifests) != 1 {
		t.Fatalf("index.json: %v, %+v", err, tm)
	}
	if ref := tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; ref != imageTag(m.Version) {
		t.Errorf("ref.name %q, want %q", ref, imageTag(m.Version))
	}
	multi, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := multi.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var arches []string
	for _, d := range mm.Manifests {
		arches = append(arches, d.Platform.OS+"/"+d.Platform.Architecture)
		img, err := multi.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cf.Config.Entrypoint, []string{ImageBinary}) || cf.Config.User != ImageUser ||
			!cf.Created.Time.Equal(m.Epoch) || cf.Architecture != d.Platform.Architecture || cf.OS != "linux" {
			t.Errorf("%s config: entrypoint %q, user %q, created %v, platform %s/%s", d.Platform.Architecture,
				cf.Config.Entrypoint, cf.Config.User, cf.Created, cf.OS, cf.Architecture)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("%s: %d layers, %v", d.Platform.Architecture, len(layers), err)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(tr)
			if h.Typeflag != tar.TypeDir {
				files[h.Name] = b
			}
		}
		rc.Close()
		bin, err := os.ReadFile(filepath.Join(dir, BinaryName(Platform{"linux", d.Platform.Architecture})))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || !bytes.Equal(files[strings.TrimPrefix(ImageBinary, "/")], bin) {
			t.Errorf("%s layer holds %d files, want only %s equal to the released binary", d.Platform.Architecture, len(files), ImageBinary)
		}
	}
	slices.Sort(arches)
	if !slices.Equal(arches, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("image platforms %v", arches)
	}
}

func untar(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dst+string(filepath.Separator)) {
			t.Fatalf("tar member %q leaves the directory", h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
