package probes

import (
	"context"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const dpkgStatus = `Package: sudo
Status: install ok installed
Architecture: amd64
Version: 1.9.13p3-1+deb12u1

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u10

Package: openssh-server
Status: install ok installed
Architecture: amd64
Version: 1:9.2p1-2+deb12u5

Package: telnet
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17+2.4-2

Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u11
`

func TestDpkgInfo(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"var/lib/dpkg/status": dpkgStatus})
	c := collect(t, tg, object("dpkginfo", nil, ent("name", "openssh-server")))
	equal(t, "evr", field(c, "evr"), "1:9.2p1-2+deb12u5")
	equal(t, "epoch", field(c, "epoch"), "1")
	equal(t, "version", field(c, "version"), "9.2p1")
	equal(t, "release", field(c, "release"), "2+deb12u5")
	if dt := c.Items[0].Fields["evr"][0].Datatype; dt != oval.DebianEVRString {
		t.Errorf("evr datatype %q", dt)
	}
	c = collect(t, tg, object("dpkginfo", nil, ent("name", "base-files")))
	equal(t, "native evr", field(c, "evr"), "0:12.4+deb12u11")

	// Removed (config-files only) and absent packages: no items.
	for _, name := range []string{"telnet", "nis"} {
		c = collect(t, tg, object("dpkginfo", nil, ent("name", name)))
		if len(c.Items) != 0 || c.Flag != oval.FlagDoesNotExist {
			t.Errorf("%s: %+v, want does not exist", name, c)
		}
	}
	c = collect(t, tg, object("dpkginfo", nil, ent("name", "pattern match", "^(sudo|libc6)$")))
	equal(t, "names", field(c, "name"), "libc6", "sudo")
}

func TestDpkgInfoUnreadableDatabaseIsAnError(t *testing.T) {
	// A directory where the status file should be: the database exists
	// but cannot be read, so the probe must not answer "not installed".
	tg := targettest.Tree(t, map[string]string{"var/lib/dpkg/status/x": ""})
	_, err := Default()["dpkginfo"].Collect(context.Background(), object("dpkginfo", nil, ent("name", "sudo")), &oval.Env{Target: tg})
	if err == nil {
		t.Fatal("unreadable dpkg database gave no error")
	}
}

func TestRPMInfoWithoutDatabase(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"var/lib/dpkg/status": dpkgStatus})
	c := collect(t, tg, object("rpminfo", nil, ent("name", "sudo")))
	if len(c.Items) != 0 || c.Flag != oval.FlagDoesNotExist || len(c.Notes) == 0 {
		t.Errorf("rpminfo on a dpkg system: %+v", c)
	}
}

func TestSplitEVR(t *testing.T) {
	for in, want := range map[string][3]string{
		"1:9.2p1-2+deb12u5": {"1", "9.2p1", "2+deb12u5"},
		"12.4+deb12u11":     {"0", "12.4+deb12u11", ""},
		"2.0-rc1-3":         {"0", "2.0-rc1", "3"},
	} {
		e, v, r := splitEVR(in)
		if [3]string{e, v, r} != want {
			t.Errorf("splitEVR(%q) = %q %q %q, want %q", in, e, v, r, want)
		}
	}
}
