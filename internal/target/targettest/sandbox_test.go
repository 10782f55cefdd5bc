package targettest_test

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// The sandbox runs the fixture's own programs on what the test wrote, and
// the fixture itself stays as it was.
func TestSandbox(t *testing.T) {
	s := targettest.NewSandbox(t)
	s.Write(t, "etc/ssh/sshd_config.d/50-test.conf", "PermitRootLogin no\n", 0o644)
	if !s.Has("usr/sbin/sshd") {
		t.Skip("the fixture has no sshd")
	}
	s.Mkdir(t, "run/sshd", 0o755)
	out, errOut, err := s.Run(t.Context(), "sshd", "-T", "-C", "user=root,host=h,addr=127.0.0.1")
	if err != nil {
		t.Fatalf("sshd -T: %v\n%s", err, errOut)
	}
	if !strings.Contains(string(out), "permitrootlogin no\n") {
		t.Errorf("sshd -T did not read the sandbox's drop-in:\n%s", out)
	}
	s.Remove(t, "etc/ssh/sshd_config.d/50-test.conf")
	if s.Has("etc/ssh/sshd_config.d/50-test.conf") {
		t.Error("removed file still present")
	}
}
