// Package pgptest runs GnuPG, the reference OpenPGP implementation, in
// tests: the signatures cradle makes must verify with gpg.
package pgptest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// GPG is gpg with a fresh GNUPGHOME.
type GPG struct {
	t    *testing.T
	home string
}

// New returns a gpg with an empty keyring. It skips the test when gpg is
// not installed, and fails it when CRADLE_REQUIRE_FIXTURES=1 (CI installs
// gnupg).
func New(t *testing.T) *GPG {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("gpg not installed (CRADLE_REQUIRE_FIXTURES=1)")
		}
		t.Skip("gpg not installed")
	}
	// A short directory: gpg-agent's socket path must stay under the
	// Unix socket length limit.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	g := &GPG{t: t, home: home}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return g
}

// Run runs gpg in batch mode with args and returns its combined output.
func (g *GPG) Run(args ...string) (string, error) {
	cmd := exec.Command("gpg", append([]string{"--homedir", g.home, "--batch", "--no-tty"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Import imports an armored key file; it fails the test on error.
func (g *GPG) Import(file string) {
	g.t.Helper()
	if out, err := g.Run("--import", file); err != nil {
		g.t.Fatalf("gpg --import %s: %v\n%s", file, err, out)
	}
}
