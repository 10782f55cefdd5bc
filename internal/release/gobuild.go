package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Platform is a GOOS/GOARCH pair.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// Platforms are the binaries a release ships.
var Platforms = []Platform{{"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"}}

const versionPkg = "github.com/cradle-cra/cradle/internal/version"

// ldflags stamps the build identity into internal/version. -s -w drop the
// symbol table and DWARF; -buildid= leaves no build id in the binary.
func ldflags(m Meta) string {
	return strings.Join([]string{
		"-s", "-w", "-buildid=",
		"-X", versionPkg + ".version=" + m.Version,
		"-X", versionPkg + ".revision=" + m.Revision,
		"-X", versionPkg + ".time=" + m.Epoch.Format(time.RFC3339),
		"-X", fmt.Sprintf("%s.modified=%t", versionPkg, m.Modified),
	}, " ")
}

// buildEnv is the whole Go configuration of a build: the caller's GOFLAGS,
// GOEXPERIMENT or GOAMD64 must not change what is built, and the toolchain
// must be the one installed, not one downloaded on demand.
func buildEnv(p Platform, m Meta) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || k == "CGO_ENABLED" || k == "SOURCE_DATE_EPOCH" {
			continue
		}
		env = append(env, kv)
	}
	// GOCACHE, GOMODCACHE, GOPATH and GOPROXY only locate inputs, they do not
	// change outputs; keep them.
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOSUMDB"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env,
		"CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=", "GOEXPERIMENT=", "GOTOOLCHAIN=local",
		fmt.Sprintf("SOURCE_DATE_EPOCH=%d", m.Epoch.Unix()))
}

// buildBinary builds ./cmd/cradle of the module at dir for p into out.
// -trimpath removes the checkout's path; -buildvcs=false because the
// toolchain's VCS stamp would differ between a checkout and an exported
// tree (and mark untracked files as modifications) — the identity is stamped
// through ldflags instead.
func buildBinary(ctx context.Context, goCmd, dir string, p Platform, m Meta, out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false", "-mod=readonly",
		"-ldflags", ldflags(m), "-o", out, "./cmd/cradle")
	cmd.Dir = dir
	cmd.Env = buildEnv(p, m)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", p, err, errb.String())
	}
	return nil
}
