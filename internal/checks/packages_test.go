package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// pkTree writes files (a "->dest" body makes a symlink) into a temporary
// root and opens it offline.
func pkTree(t *testing.T, files map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, files)
}

const pkDpkgStatus = `Package: openssh-server
Status: install ok installed
Architecture: amd64
Version: 1:9.2p1-2+deb12u3

Package: telnetd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17+2.4-2

Package: chrony
Status: install ok installed
Architecture: amd64
Version: 4.3-2

Package: libpam-pwquality
Status: install ok half-configured
Architecture: amd64
Version: 1.4.5-1
`

func TestPackageTemplates(t *testing.T) {
	dpkg := map[string]string{"var/lib/dpkg/status": pkDpkgStatus}
	tests := []struct {
		name  string
		tmpl  check.Template
		files map[string]string
		args  string
		want  result.Status
		line  int // of the first evidence
	}{
		{"absent passes", packageAbsentTemplate{}, dpkg, `{names: [rsh-server, nis]}`, result.Pass, 0},
		{"config-files counts as absent", packageAbsentTemplate{}, dpkg, `{names: [telnetd]}`, result.Pass, 0},
		{"installed fails absent", packageAbsentTemplate{}, dpkg, `{names: [nis, "openssh-*"]}`, result.Fail, 1},
		{"installed passes", packageInstalledTemplate{}, dpkg, `{names: [chrony]}`, result.Pass, 11},
		{"half-configured is present", packageInstalledTemplate{}, dpkg, `{names: [libpam-pwquality]}`, result.Pass, 16},
		{"all required", packageInstalledTemplate{}, dpkg, `{names: [chrony, aide]}`, result.Fail, 11},
		{"any of", packageInstalledTemplate{}, dpkg, `{names: [ntp, chrony], any: true}`, result.Pass, 11},
		{"none of", packageInstalledTemplate{}, dpkg, `{names: [ntp, ntpsec], any: true}`, result.Fail, 0},
		{"no database", packageInstalledTemplate{}, map[string]string{"etc/os-release": "ID=debian\n"}, `{names: [chrony]}`, result.NotApplicable, 0},
		{"legacy rpmdb", packageAbsentTemplate{}, map[string]string{"var/lib/rpm/Packages": "bdb"}, `{names: [telnet]}`, result.Error, 0},
		{"apk", packageInstalledTemplate{}, map[string]string{"lib/apk/db/installed": "P:musl\nV:1.2.5-r0\n\nP:chrony\nV:4.5-r0\nA:x86_64\n"}, `{names: [chrony]}`, result.Pass, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, tt.tmpl, tt.args, pkTree(t, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if tt.line > 0 && (len(o.Evidence) == 0 || o.Evidence[0].Line != tt.line) {
				t.Errorf("evidence %+v, want line %d", o.Evidence, tt.line)
			}
		})
	}
}

func TestTemplateArgErrors(t *testing.T) {
	tests := []struct {
		tmpl check.Template
		args string
	}{
		{packageAbsentTemplate{}, `{names: []}`},
		{packageAbsentTemplate{}, `{names: [a], any: true}`},
		{packageInstalledTemplate{}, `{names: ["a["]}`},
		{serviceStateTemplate{}, `{units: [a.service], state: running}`},
		{serviceStateTemplate{}, `{units: [a.service], state: disabled, any: true}`},
		{serviceStateTemplate{}, `{units: [], state: enabled}`},
		{defaultTargetTemplate{}, `{allowed: [multi-user]}`},
		{repoSignaturesTemplate{}, `{managers: [zypper]}`},
		{repoTransportTemplate{}, `{manager: [apt]}`},
		{aptConfTemplate{}, `{key: A::B}`},
		{aptConfTemplate{}, `{key: A::B, enabled: true, allowed: ["1"]}`},
		{aptConfTemplate{}, `{key: A::B, keys: [A::C], enabled: true}`},
		{aptConfTemplate{}, `{key: A::B, item_contains: []}`},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl.Name()+" "+tt.args, func(t *testing.T) {
			if _, err := parseCheck(tt.tmpl, tt.args); err == nil {
				t.Error("no error")
			}
		})
	}
}
