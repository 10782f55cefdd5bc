package impact

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// packageRemoval rates removing a package like disabling the services it
// ships (their listeners, connections and dependents), plus its running
// programs and the automation that runs them.
func (s *Signals) packageRemoval(pkg string) (string, []string) {
	v := newTally(s.packageRemove(pkg))
	files := s.packageFiles(pkg)
	var units []string
	for f := range files {
		dir, base := path.Split(f)
		if (dir == "/usr/lib/systemd/system/" || dir == "/etc/systemd/system/") && isUnitName(base) {
			units = append(units, base)
		}
	}
	sort.Strings(units)
	if len(files) == 0 {
		// No dpkg file list (rpm, apk, or an image without one): the
		// unit named after the package is the best guess.
		if s.sd != nil {
			for _, u := range []string{pkg + ".service", pkg + ".socket"} {
				if us, err := s.sd.State(u); err == nil && us.State != systemd.Absent {
					units = append(units, u)
				}
			}
		}
		if len(units) == 0 {
			v.raise(remedy.ImpactNone, fmt.Sprintf("no file list of package %s on the target (dpkg's is read): the units it ships are not known", pkg))
		}
	}
	var enabled, other []string
	for _, u := range units {
		st := ""
		if s.sd != nil {
			if us, err := s.sd.State(u); err == nil {
				st = us.State
			}
		}
		if st != systemd.Enabled {
			other = append(other, u)
			continue
		}
		enabled = append(enabled, u)
		lvl, ev := s.serviceOff(u)
		if lvl == remedy.ImpactNone {
			continue
		}
		for i := range ev {
			ev[i] = fmt.Sprintf("package %s ships enabled unit %s: %s", pkg, u, ev[i])
		}
		v.raise(lvl, ev...)
	}
	var runs []string
	for f := range files {
		for _, w := range s.programs[f] {
			if file, _, _ := strings.Cut(w, ":"); !files[usrMerged(file)] {
				runs = append(runs, fmt.Sprintf("%s (%s)", f, w)) // not the package's own units
			}
		}
	}
	sort.Strings(runs)
	if len(runs) > 0 {
		v.raise(remedy.ImpactObserved, fmt.Sprintf("cron jobs or enabled units run programs of package %s: %s", pkg, list(runs)))
	}
	if v.level() == remedy.ImpactNone && len(units) > 0 {
		note := fmt.Sprintf("package %s ships units ", pkg)
		if len(enabled) > 0 {
			note += "enabled " + list(enabled) + ", not in use"
		}
		if len(other) > 0 {
			if len(enabled) > 0 {
				note += "; "
			}
			note += "not enabled " + list(other)
		}
		v.raise(remedy.ImpactNone, note)
	}
	return v.result()
}

// installEffects is what installing a package the baseline asks for is
// known to bring with the distributions' packages: services enabled and
// started on installation, or configuration it changes.
var installEffects = map[string]string{
	"auditd":                  "enables and starts auditd.service (kernel auditing; rules from /etc/audit/rules.d are loaded at boot)",
	"audit":                   "installs auditd.service, enabled at boot (kernel auditing; rules from /etc/audit/rules.d)",
	"aide":                    "on Debian, dailyaidecheck.timer runs a daily filesystem check (disk I/O) once the database is initialised (aideinit)",
	"chrony":                  "enables and starts chrony.service (time from public NTP pools by default); on Debian it replaces systemd-timesyncd",
	"apparmor":                "enables apparmor.service: the profiles installed packages ship are enforced from the next start of each confined program",
	"libpam-pwquality":        "pam-auth-update adds pam_pwquality to common-password: new passwords must meet its quality rules",
	"libpwquality":            "pam_pwquality becomes available; authselect profiles use it for password changes",
	"rsyslog":                 "enables and starts rsyslog.service (writes /var/log/syslog, /var/log/auth.log)",
	"syslog-ng":               "enables and starts syslog-ng.service",
	"syslog-ng-core":          "enables and starts syslog-ng.service",
	"unattended-upgrades":     "enables unattended-upgrades.service; apt's daily timers then install security updates unattended, and updated packages restart their services",
	"dnf-automatic":           "installs dnf-automatic.timer, not enabled until configured",
	"dnf5-plugin-automatic":   "installs dnf5-automatic.timer, not enabled until configured",
	"systemd-timesyncd":       "enables and starts systemd-timesyncd.service (time from the distribution's NTP pool)",
	"ntp":                     "enables and starts ntp.service (listens on UDP port 123)",
	"ntpsec":                  "enables and starts ntpsec.service (listens on UDP port 123)",
	"openntpd":                "enables and starts openntpd.service",
	"sudo":                    "",
	"selinux-policy-targeted": "SELinux policy: enforcement follows /etc/selinux/config; relabelling at the next boot may take long",
}

// packageInstall says what installing a package brings: nothing installs
// silently.
func (s *Signals) packageInstall(pkg string) (string, []string) {
	if len(s.packageFiles(pkg)) > 0 {
		return remedy.ImpactNone, []string{"package " + pkg + " is already installed"}
	}
	what, known := installEffects[pkg]
	switch {
	case known && what == "":
		return remedy.ImpactNone, []string{"installing " + pkg + " adds programs and configuration, no service"}
	case known:
		return remedy.ImpactPossible, []string{"installing " + pkg + " " + what}
	}
	var units []string
	if s.sd != nil {
		for _, n := range s.sd.Names() {
			if strings.HasPrefix(n, pkg+".") || strings.HasPrefix(n, pkg+"-") {
				units = append(units, n)
			}
		}
	}
	if len(units) > 0 {
		return remedy.ImpactPossible, []string{fmt.Sprintf("installing %s: units of that name are already on the target (%s); a package's services are enabled and started on installation on Debian", pkg, list(units))}
	}
	return remedy.ImpactUnknown, []string{"what installing " + pkg + " brings is not known from the target (its file list exists only once installed): a package's services are enabled and started on installation on Debian, and by presets on Red Hat"}
}
