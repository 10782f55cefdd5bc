package impact

import (
	"fmt"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/target"
)

// source describes the reading of the authentication logs: read when
// every file was read back to the window's start, partial when something
// was left unread, missing when no file written within the window could
// be read.
func (a *authLogs) source(window string) Source {
	src := Source{Name: SourceAuthLog, Status: SourceRead, Paths: a.files}
	switch {
	case len(a.files) == 0 && len(a.gaps) > 0:
		src.Status, src.Detail = SourceMissing, list(a.gaps)
	case len(a.files) == 0:
		src.Status, src.Detail = SourceMissing, "no auth.log or secure file under /var/log written in "+window
	case len(a.gaps) > 0:
		src.Status, src.Detail = SourcePartial, list(a.gaps)
	}
	return src
}

// readStatus is a source read completely unless something in it could
// not be read.
func readStatus(name string, paths, problems []string) Source {
	src := Source{Name: name, Status: SourceRead, Paths: paths}
	if len(problems) > 0 {
		src.Status, src.Detail = SourcePartial, list(problems)
	}
	return src
}

// unitsSource describes the unit files read. They say what runs only
// where systemd runs them: on a live target whose PID 1 is not systemd
// (a container's init, another init system) they are not a source;
// offline a tree that carries systemd is taken to boot with its units,
// and one without systemd (sd.Init) or without unit directories has none.
func unitsSource(t target.Target, sd *systemd.Config, dirs, problems []string) Source {
	src := readStatus(SourceUnits, dirs, problems)
	switch {
	case len(dirs) == 0:
		src.Status, src.Detail = SourceMissing, "no systemd unit directory"
	case t.Live():
		if ok, what := pid1Systemd(t); !ok {
			src.Status, src.Detail = SourceMissing, fmt.Sprintf("PID 1 is %s, not systemd: the unit files do not say what runs", what)
		}
	case sd != nil && sd.Init != systemd.Systemd:
		other := sd.Init
		if other == "" {
			other = "not known"
		}
		src.Status, src.Detail = SourceMissing, fmt.Sprintf("the tree has no systemd binary (init system %s): the unit files do not say what runs", other)
	}
	return src
}

// pid1Systemd reports whether PID 1 of a live target is systemd (by its
// command name or executable, or sd_booted's /run/systemd/system), and
// what PID 1 is otherwise.
func pid1Systemd(t target.Target) (bool, string) {
	comm := readSmall(t, "proc/1/comm")
	exe, _ := t.Readlink("proc/1/exe")
	if comm == "systemd" || path.Base(strings.TrimSuffix(exe, " (deleted)")) == "systemd" {
		return true, ""
	}
	if fi, err := t.Lstat("run/systemd/system"); err == nil && fi.Mode.IsDir() {
		return true, ""
	}
	switch {
	case comm != "" && exe != "":
		return false, fmt.Sprintf("%q (%s)", comm, exe)
	case comm != "":
		return false, fmt.Sprintf("%q", comm)
	}
	return false, "unknown (/proc/1 not readable)"
}
