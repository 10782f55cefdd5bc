package changelog

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cradle-cra/cradle/internal/signing"
)

// TestHelperAppender is run as a child process by TestMultiProcessAppends.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv("CHANGELOG_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	n, _ := strconv.Atoi(os.Getenv("CHANGELOG_HELPER_N"))
	k, err := signing.LoadPrivate(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Dir: filepath.Join(dir, "logs"), Target: "host", Signer: k}
	for i := range n {
		if _, err := l.Append(context.Background(), Entry{Action: ActionNote, Reason: fmt.Sprintf("pid %d #%d", os.Getpid(), i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMultiProcessAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	k := testKey(t)
	b, _ := signing.MarshalPrivate(k)
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	const procs, each = 4, 15
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$")
		c.Env = append(os.Environ(), "CHANGELOG_HELPER_DIR="+dir, "CHANGELOG_HELPER_N="+strconv.Itoa(each))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("appender: %v", err)
		}
	}
	l := &Log{Dir: filepath.Join(dir, "logs"), Target: "host"}
	s, err := l.Verify(keyring(k))
	if err != nil || s.Entries != procs*each || s.HeadSeq != procs*each {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
}
