package probes

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestSysctlOffline(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/os-release":                     "ID=debian\nVERSION_ID=12\n",
		"etc/sysctl.d/10-a.conf":             "kernel.randomize_va_space = 1\nnet.ipv4.ip_forward=1\n",
		"etc/sysctl.d/99-z.conf":             "kernel.randomize_va_space = 2\n",
		"proc/sys/kernel/randomize_va_space": "0\n", // not a running kernel's: ignored offline
	})
	c := collect(t, tg, object("sysctl", nil, ent("name", "kernel.randomize_va_space")))
	equal(t, "value", field(c, "value"), "2")
	if !strings.Contains(strings.Join(c.Notes, " "), "offline") || !strings.Contains(strings.Join(c.Notes, " "), "99-z.conf") {
		t.Errorf("notes do not say the value is the persisted one: %q", c.Notes)
	}
	c = collect(t, tg, object("sysctl", nil, ent("name", "pattern match", `^net\.ipv4\.`)))
	equal(t, "names", field(c, "name"), "net.ipv4.ip_forward")

	// Unknown to both configuration and defaults: not collected, not a guess.
	c = collect(t, tg, object("sysctl", nil, ent("name", "kernel.no_such_thing")))
	if len(c.Items) != 1 || c.Items[0].Status != oval.StatusNotCollected {
		t.Errorf("unknown key: %+v", c)
	}
}

func TestSysctlLive(t *testing.T) {
	tg := targettest.LiveTree(t, map[string]string{
		"etc/sysctl.d/99-z.conf":                    "kernel.randomize_va_space = 2\n",
		"proc/sys/kernel/randomize_va_space":        "0\n",
		"proc/sys/net/ipv4/conf/eth0.100/rp_filter": "1\n",
	})
	c := collect(t, tg, object("sysctl", nil, ent("name", "kernel.randomize_va_space")))
	equal(t, "value", field(c, "value"), "0")
	c = collect(t, tg, object("sysctl", nil, ent("name", "pattern match", `rp_filter$`)))
	equal(t, "names", field(c, "name"), "net.ipv4.conf.eth0/100.rp_filter")
	c = collect(t, tg, object("sysctl", nil, ent("name", "kernel.absent")))
	if c.Flag != oval.FlagDoesNotExist {
		t.Errorf("absent live key: %+v", c)
	}
}
