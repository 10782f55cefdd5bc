package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
)

func TestPkgTrustTemplates(t *testing.T) {
	apt := map[string]string{
		"etc/apt/sources.list":                     "deb https://deb.debian.org/debian bookworm main\n",
		"etc/apt/apt.conf.d/20auto-upgrades":       "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
		"etc/apt/apt.conf.d/50unattended-upgrades": "Unattended-Upgrade::Origins-Pattern {\n \"origin=Debian\";\n};\n",
	}
	with := func(base, extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	dnf := map[string]string{
		"etc/dnf/dnf.conf":       "[main]\ngpgcheck=1\n",
		"etc/yum.repos.d/a.repo": "[baseos]\nname=BaseOS\nmetalink=https://mirrors.example/metalink\n",
	}
	sd := map[string]string{
		"usr/lib/systemd/systemd":                            "",
		"usr/lib/systemd/system/dnf-automatic.timer":         "[Timer]\n[Install]\nWantedBy=timers.target\n",
		"usr/lib/systemd/system/dnf-automatic-install.timer": "[Timer]\n[Install]\nWantedBy=timers.target\n",
	}
	dnfTimer := with(with(dnf, sd), map[string]string{"etc/systemd/system/timers.target.wants/dnf-automatic.timer": "->/usr/lib/systemd/system/dnf-automatic.timer"})
	tests := []struct {
		name  string
		tmpl  check.Template
		files map[string]string
		args  string
		want  result.Status
		file  string
		line  int
	}{
		{"apt signed", repoSignaturesTemplate{}, apt, `{}`, result.Pass, "/etc/apt/sources.list", 1},
		{"apt trusted=yes", repoSignaturesTemplate{}, with(apt, map[string]string{"etc/apt/sources.list.d/x.list": "# c\ndeb [trusted=yes] http://x/ s main\n"}), `{}`, result.Fail, "/etc/apt/sources.list", 1},
		{"deb822 disabled insecure ignored", repoSignaturesTemplate{}, with(apt, map[string]string{"etc/apt/sources.list.d/x.sources": "Types: deb\nURIs: http://x/\nSuites: s\nTrusted: yes\nEnabled: no\n"}), `{}`, result.Pass, "", 0},
		{"deb822 allow-insecure", repoSignaturesTemplate{}, with(apt, map[string]string{"etc/apt/sources.list.d/x.sources": "Types: deb\nURIs: http://x/\nSuites: s\nAllow-Insecure: yes\n"}), `{managers: [apt]}`, result.Fail, "", 0},
		{"dnf gpgcheck from main", repoSignaturesTemplate{}, dnf, `{}`, result.Pass, "/etc/dnf/dnf.conf", 2},
		{"dnf gpgcheck unset", repoSignaturesTemplate{}, with(dnf, map[string]string{"etc/dnf/dnf.conf": "[main]\n"}), `{}`, result.Fail, "/etc/yum.repos.d/a.repo", 1},
		{"dnf repo_gpgcheck", repoSignaturesTemplate{}, dnf, `{repo_gpgcheck: true}`, result.Fail, "/etc/dnf/dnf.conf", 2},
		{"no manager", repoSignaturesTemplate{}, map[string]string{"etc/hostname": "x\n"}, `{}`, result.NotApplicable, "", 0},
		{"apk untrusted", repoSignaturesTemplate{}, map[string]string{"etc/apk/repositories": "https://x/main\n", "etc/apk/config": "allow-untrusted\n"}, `{}`, result.Fail, "/etc/apk/config", 1},
		{"transport https", repoTransportTemplate{}, with(apt, dnf), `{}`, result.Pass, "/etc/apt/sources.list", 1},
		{"transport http", repoTransportTemplate{}, with(dnf, map[string]string{"etc/yum.repos.d/b.repo": "[b]\nbaseurl=http://x/\n"}), `{}`, result.Fail, "", 0},
		{"transport sslverify", repoTransportTemplate{}, with(dnf, map[string]string{"etc/dnf/dnf.conf": "[main]\nsslverify=0\n"}), `{}`, result.Fail, "", 0},
		{"apt_conf on", aptConfTemplate{}, apt, `{key: APT::Periodic::Unattended-Upgrade, enabled: true}`, result.Pass, "/etc/apt/apt.conf.d/20auto-upgrades", 2},
		{"apt_conf later file wins", aptConfTemplate{}, with(apt, map[string]string{"etc/apt/apt.conf.d/99off": "APT { Periodic { Unattended-Upgrade \"0\"; }; };\n"}),
			`{key: APT::Periodic::Unattended-Upgrade, enabled: true}`, result.Fail, "/etc/apt/apt.conf.d/99off", 1},
		{"apt_conf apt.conf last", aptConfTemplate{}, with(apt, map[string]string{"etc/apt/apt.conf": "APT::Periodic::Unattended-Upgrade \"never\";\n"}),
			`{key: APT::Periodic::Unattended-Upgrade, enabled: true}`, result.Fail, "/etc/apt/apt.conf", 1},
		{"apt_conf unset fails", aptConfTemplate{}, apt, `{key: APT::Periodic::AutocleanInterval, enabled: true}`, result.Fail, "", 0},
		{"apt_conf default", aptConfTemplate{}, apt, `{key: APT::Get::AllowUnauthenticated, enabled: false, default: "false"}`, result.Pass, "", 0},
		{"apt_conf allowed", aptConfTemplate{}, apt, `{key: apt::periodic::update-package-lists, allowed: ["1", "2"]}`, result.Pass, "/etc/apt/apt.conf.d/20auto-upgrades", 1},
		{"apt_conf security origin", aptConfTemplate{}, apt, `{keys: [Unattended-Upgrade::Origins-Pattern, Unattended-Upgrade::Allowed-Origins], item_contains: ["-security"]}`, result.Fail, "/etc/apt/apt.conf.d/50unattended-upgrades", 2},
		{"apt_conf security origin found", aptConfTemplate{}, with(apt, map[string]string{"etc/apt/apt.conf.d/51more": "// more\nUnattended-Upgrade::Allowed-Origins { \"${distro_id}:${distro_codename}-security\"; };\n"}),
			`{keys: [Unattended-Upgrade::Origins-Pattern, Unattended-Upgrade::Allowed-Origins], item_contains: ["-security"]}`, result.Pass, "/etc/apt/apt.conf.d/51more", 2},
		{"apt_conf cleared list", aptConfTemplate{}, with(apt, map[string]string{"etc/apt/apt.conf.d/99clear": "#clear Unattended-Upgrade::Origins-Pattern;\n"}),
			`{key: Unattended-Upgrade::Origins-Pattern, item_contains: ["origin=Debian"]}`, result.Fail, "", 0},
		{"dnf-automatic install timer", dnfAutomaticTemplate{}, with(with(dnf, sd), map[string]string{"etc/systemd/system/timers.target.wants/dnf-automatic-install.timer": "->/usr/lib/systemd/system/dnf-automatic-install.timer"}),
			`{}`, result.Pass, "/etc/systemd/system/timers.target.wants/dnf-automatic-install.timer", 0},
		{"dnf-automatic timers off", dnfAutomaticTemplate{}, with(dnf, sd), `{}`, result.Fail, "/usr/lib/systemd/system/dnf-automatic-install.timer", 0},
		{"dnf-automatic download only", dnfAutomaticTemplate{}, dnfTimer, `{}`, result.Fail, "", 0},
		{"dnf-automatic apply_updates", dnfAutomaticTemplate{}, with(dnfTimer, map[string]string{"etc/dnf/automatic.conf": "[commands]\nupgrade_type = security\napply_updates = yes\n"}), `{}`, result.Pass, "", 0},
		{"dnf-automatic apply_updates no", dnfAutomaticTemplate{}, with(dnfTimer, map[string]string{"etc/dnf/automatic.conf": "[commands]\napply_updates = no\n"}), `{}`, result.Fail, "", 0},
		{"dnf-automatic no dnf", dnfAutomaticTemplate{}, apt, `{}`, result.NotApplicable, "", 0},
		{"apt_conf no apt", aptConfTemplate{}, dnf, `{key: A::B, enabled: true}`, result.NotApplicable, "", 0},
		{"apt_conf syntax error", aptConfTemplate{}, with(apt, map[string]string{"etc/apt/apt.conf.d/99bad": "APT {\n"}), `{key: A::B, enabled: true}`, result.Error, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, tt.tmpl, tt.args, pkTree(t, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if tt.file != "" && (len(o.Evidence) == 0 || o.Evidence[0].File != tt.file || o.Evidence[0].Line != tt.line) {
				t.Errorf("evidence %+v, want %s:%d", o.Evidence, tt.file, tt.line)
			}
		})
	}
}
