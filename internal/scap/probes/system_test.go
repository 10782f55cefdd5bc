package probes

import (
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestFamilyUname(t *testing.T) {
	off := targettest.Tree(t, map[string]string{"var/lib/dpkg/status": dpkgStatus})
	c := collect(t, off, object("family", nil))
	equal(t, "family", field(c, "family"), "unix")
	c = collect(t, off, object("uname", nil))
	equal(t, "processor_type", field(c, "processor_type"), "x86_64")
	equal(t, "os_release not collected offline", field(c, "os_release"), "")
	if !strings.Contains(strings.Join(c.Notes, " "), "not collected") {
		t.Errorf("offline uname notes %q", c.Notes)
	}
	live := targettest.LiveTree(t, map[string]string{
		"proc/sys/kernel/ostype": "Linux\n", "proc/sys/kernel/osrelease": "6.1.0-9-amd64\n", "proc/sys/kernel/arch": "aarch64\n",
	})
	c = collect(t, live, object("uname", nil))
	equal(t, "os_release", field(c, "os_release"), "6.1.0-9-amd64")
	equal(t, "processor_type", field(c, "processor_type"), "aarch64")
}

func TestEnvironment(t *testing.T) {
	t.Setenv("CRADLE_PROBE_TEST", "a:b")
	live := targettest.LiveTree(t, map[string]string{})
	pid := oval.ObjectEntity{Name: "pid", Nil: true}
	c := collect(t, live, object("environmentvariable58", nil, pid, ent("name", "CRADLE_PROBE_TEST")))
	equal(t, "value", field(c, "value"), "a:b")
	equal(t, "pid", field(c, "pid"), itoa(os.Getpid()))
	off := targettest.Tree(t, map[string]string{})
	c = collect(t, off, object("environmentvariable58", nil, pid, ent("name", "PATH")))
	if c.Flag != oval.FlagNotCollected {
		t.Errorf("offline environment: %+v", c)
	}
}
