package checks

import (
	"strings"
	"testing"
)

func TestRepoSignaturesFix(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  string
		want  []string // substrings of the diffs
		deny  []string
	}{
		{"apt one-line", map[string]string{
			"etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n" +
				"deb [arch=amd64 trusted=yes] http://repo.example.invalid/debian bookworm main # vendor\n" +
				"deb [ allow-insecure=yes ] http://old.example.invalid/debian bookworm main\n",
		}, `{managers: [apt]}`,
			[]string{"+deb [arch=amd64] http://repo.example.invalid/debian bookworm main # vendor", "+deb http://old.example.invalid/debian bookworm main"},
			[]string{"-deb http://deb.debian.org"}},
		{"apt deb822", map[string]string{
			"etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n" +
				"Types: deb\nURIs: http://repo.example.invalid/debian\nSuites: bookworm\nComponents: main\nTrusted: yes\nAllow-Weak: yes\n",
		}, `{managers: [apt]}`,
			[]string{"-Trusted: yes", "-Allow-Weak: yes"}, []string{"-Signed-By"}},
		{"dnf repo and main", map[string]string{
			"etc/dnf/dnf.conf":              "[main]\ngpgcheck=0\ninstallonly_limit=3\n",
			"etc/yum.repos.d/rhel.repo":     "[baseos]\nname=BaseOS\nbaseurl=https://cdn.redhat.com/baseos\ngpgcheck = 0\nenabled=1\n\n[appstream]\nname=AppStream\nbaseurl=https://cdn.redhat.com/appstream\nenabled=1\n",
			"etc/yum.repos.d/disabled.repo": "[old]\nbaseurl=http://old\nenabled=0\ngpgcheck=0\n",
		}, `{managers: [dnf]}`,
			[]string{"+gpgcheck = 1", "+gpgcheck=1", "[appstream]\n+gpgcheck=1"}, []string{"[old]"}},
		{"dnf repo_gpgcheck", map[string]string{
			"etc/dnf/dnf.conf":          "[main]\ngpgcheck=1\n",
			"etc/yum.repos.d/epel.repo": "[epel]\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=epel-9\nrepo_gpgcheck=0\n",
		}, `{managers: [dnf], repo_gpgcheck: true}`,
			[]string{"-repo_gpgcheck=0", "+repo_gpgcheck=1"}, nil},
		{"apk", map[string]string{
			"etc/apk/repositories": "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n",
			"etc/apk/config":       "--cache-max-age 60\n--allow-untrusted\n",
		}, `{managers: [apk]}`, []string{"---allow-untrusted"}, []string{"\n---cache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, repoSignaturesTemplate{}, tt.args, pkTree(t, tt.files))
			var diffs strings.Builder
			for _, op := range ch.Ops() {
				diffs.WriteString(op.Diff)
			}
			for _, w := range tt.want {
				if !strings.Contains(diffs.String(), w) {
					t.Errorf("diff lacks %q:\n%s", w, diffs.String())
				}
			}
			for _, d := range tt.deny {
				if strings.Contains(diffs.String(), d) {
					t.Errorf("diff has %q:\n%s", d, diffs.String())
				}
			}
		})
	}
}

func TestAptConfFix(t *testing.T) {
	base := map[string]string{
		"etc/os-release":                           "ID=debian\nVERSION_CODENAME=bookworm\n",
		"etc/apt/apt.conf.d/20auto-upgrades":       "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n",
		"etc/apt/apt.conf.d/99fixture-insecure":    "// insecure\nAPT::Get::AllowUnauthenticated \"true\";\nAcquire {\n  AllowInsecureRepositories \"1\";\n};\n#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern { \"origin=Debian,codename=${distro_codename},label=Debian\"; };\n",
		"etc/apt/apt.conf.d/50unattended-upgrades": "Unattended-Upgrade::Origins-Pattern {\n  \"origin=Debian,codename=${distro_codename},label=Debian\";\n};\n",
	}
	tests := []struct {
		name, args string
		want       []string
	}{
		{"periodic on", `{key: "APT::Periodic::Unattended-Upgrade", enabled: true}`,
			[]string{"+APT::Periodic::Unattended-Upgrade \"1\";"}},
		{"override a later file", `{key: "APT::Get::AllowUnauthenticated", enabled: false, default: "false"}`,
			[]string{"+APT::Get::AllowUnauthenticated \"false\";", "+//cradle: APT::Get::AllowUnauthenticated \"true\";"}},
		{"inside a block", `{key: "Acquire::AllowInsecureRepositories", enabled: false, default: "false"}`,
			[]string{"+Acquire::AllowInsecureRepositories \"false\";", "+//cradle:   AllowInsecureRepositories \"1\";"}},
		{"list item past a clear", `{keys: ["Unattended-Upgrade::Origins-Pattern", "Unattended-Upgrade::Allowed-Origins"], item_contains: ["-security", "label=Debian-Security"]}`,
			[]string{"+Unattended-Upgrade::Origins-Pattern { \"origin=Debian,codename=${distro_codename}-security,label=Debian-Security\"; };", "+//cradle: #clear Unattended-Upgrade::Origins-Pattern;"}},
		{"allowed", `{key: "Acquire::http::Proxy", allowed: ["http://proxy:3128"]}`,
			[]string{"+Acquire::http::Proxy \"http://proxy:3128\";"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, aptConfTemplate{}, tt.args, pkTree(t, base))
			var diffs strings.Builder
			for _, op := range ch.Ops() {
				diffs.WriteString(op.Diff)
			}
			for _, w := range tt.want {
				if !strings.Contains(diffs.String(), w) {
					t.Errorf("diff lacks %q:\n%s", w, diffs.String())
				}
			}
			if ch.Ops()[0].Path != "/etc/apt/apt.conf.d/99-cradle.conf" {
				t.Errorf("first op on %s", ch.Ops()[0].Path)
			}
		})
	}
	// A block on one line cannot be commented out alone.
	tg := pkTree(t, map[string]string{"etc/apt/apt.conf.d/zz-local": "APT { Get { AllowUnauthenticated \"true\"; }; };\n"})
	ch := remediateOps(t, aptConfTemplate{}, `{key: "APT::Get::AllowUnauthenticated", enabled: false}`, tg)
	if ops := opLines(ch); !hasOp(ops, "deferred override APT::Get::AllowUnauthenticated set in /etc/apt/apt.conf.d/zz-local") {
		t.Errorf("ops %q", ops)
	}
}

func TestDnfAutomaticFix(t *testing.T) {
	rhel := map[string]string{
		"usr/lib/systemd/systemd":                            "",
		"etc/dnf/dnf.conf":                                   "[main]\ngpgcheck=1\n",
		"usr/lib/systemd/system/dnf-automatic.timer":         "[Timer]\nOnCalendar=*-*-* 6:00\n\n[Install]\nWantedBy=timers.target\n",
		"usr/lib/systemd/system/dnf-automatic-install.timer": "[Timer]\nOnCalendar=*-*-* 6:00\n\n[Install]\nWantedBy=timers.target\n",
		"etc/dnf/automatic.conf":                             "[commands]\n#  What kind of upgrade to perform:\nupgrade_type = default\nrandom_sleep = 0\n\n# Whether updates should be applied when they are available\napply_updates = no\n\n[emitters]\nemit_via = stdio\n",
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"edit in place and enable", rhel, []string{"-apply_updates = no", "+apply_updates = yes", "file.symlink /etc/systemd/system/timers.target.wants/dnf-automatic.timer"}},
		{"already enabled", with(rhel, "etc/systemd/system/timers.target.wants/dnf-automatic.timer", "->/usr/lib/systemd/system/dnf-automatic.timer"), []string{"+apply_updates = yes"}},
		{"key missing", with(rhel, "etc/dnf/automatic.conf", "[commands]\nupgrade_type = security\n"), []string{" [commands]\n+apply_updates = yes\n upgrade_type = security"}},
		{"no configuration", with(rhel, "etc/dnf/automatic.conf", ""), []string{"file.symlink /etc/systemd/system/timers.target.wants/dnf-automatic-install.timer"}},
		{"not installed", with(rhel, "usr/lib/systemd/system/dnf-automatic.timer", "", "usr/lib/systemd/system/dnf-automatic-install.timer", ""),
			[]string{"deferred enable automatic updates with dnf-automatic: dnf-automatic's timers are not installed; install package dnf-automatic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, dnfAutomaticTemplate{}, `{}`, pkTree(t, tt.files))
			var all strings.Builder
			for _, op := range ch.Ops() {
				all.WriteString(op.Diff)
			}
			all.WriteString(strings.Join(opLines(ch), "\n"))
			for _, w := range tt.want {
				if !strings.Contains(all.String(), w) {
					t.Errorf("plan lacks %q:\n%s", w, all.String())
				}
			}
		})
	}
}
