package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const debRsyslog = `# /etc/rsyslog.conf
module(load="imuxsock") # provides support for local system logging
module(load="imklog")   # provides kernel logging support

$FileOwner root
$FileGroup adm
$DirCreateMode 0755
$WorkDirectory /var/spool/rsyslog
$IncludeConfig /etc/rsyslog.d/*.conf

*.*;auth,authpriv.none		-/var/log/syslog
auth,authpriv.*			/var/log/auth.log
`

const rhelRsyslog = `global(workDirectory="/var/lib/rsyslog")
module(load="builtin:omfile" Template="RSYSLOG_TraditionalFileFormat")
module(load="imjournal"
       StateFile="imjournal.state")
include(file="/etc/rsyslog.d/*.conf" mode="optional")
*.info;mail.none;authpriv.none;cron.none                /var/log/messages
`

const breakRsyslog = `$FileCreateMode 0644
module(load="imudp")
input(type="imudp" port="514")
action(type="omfile" file="/var/log/debug.log"
       fileCreateMode="0666")
`

func TestRsyslogFix(t *testing.T) {
	tests := []struct {
		name, tmpl, args string
		files            map[string]string
		want             map[string][]string
	}{
		{"Debian without a mode: before the include", "mode", `{max_mode: "0640"}`, map[string]string{"etc/rsyslog.conf": debRsyslog},
			map[string][]string{"etc/rsyslog.conf": {"$WorkDirectory /var/spool/rsyslog\n$FileCreateMode 0640\n$IncludeConfig"}}},
		{"RHEL: after the module loads", "mode", `{max_mode: "0640"}`, map[string]string{"etc/rsyslog.conf": rhelRsyslog},
			map[string][]string{"etc/rsyslog.conf": {"StateFile=\"imjournal.state\")\n$FileCreateMode 0640\ninclude("}}},
		{"drop-in modes lowered", "mode", `{max_mode: "0640"}`,
			map[string]string{"etc/rsyslog.conf": strings.Replace(debRsyslog, "$FileGroup adm\n", "$FileGroup adm\n$FileCreateMode 0640\n", 1), "etc/rsyslog.d/50-break.conf": breakRsyslog},
			map[string][]string{"etc/rsyslog.d/50-break.conf": {"$FileCreateMode 0640\n", "       fileCreateMode=\"0640\")\n"}}},
		{"inputs disabled", "input", `{forbid: [imtcp, imudp, imrelp]}`,
			map[string]string{"etc/rsyslog.conf": debRsyslog + "$ModLoad imtcp\n$InputTCPServerRun 514\n", "etc/rsyslog.d/50-break.conf": breakRsyslog + "input(type=\"imudp\"\n  port=\"1514\")\n"},
			map[string][]string{"etc/rsyslog.conf": {"#cradle: $ModLoad imtcp\n#cradle: $InputTCPServerRun 514\n"},
				"etc/rsyslog.d/50-break.conf": {"#cradle: module(load=\"imudp\")\n#cradle: input(type=\"imudp\" port=\"514\")\naction(", "#cradle: input(type=\"imudp\"\n#cradle:   port=\"1514\")\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := targettest.Tree(t, tt.files)
			var ch *remedy.Changes
			if tt.tmpl == "mode" {
				ch = fixRoundTrip(t, rsyslogFileModeTemplate{}, tt.args, tg)
			} else {
				ch = fixRoundTrip(t, rsyslogInputTemplate{}, tt.args, tg)
			}
			for file, subs := range tt.want {
				got := planned(t, ch, file)
				for _, w := range subs {
					if !strings.Contains(got, w) {
						t.Errorf("planned %s lacks %q:\n%s", file, w, got)
					}
				}
			}
		})
	}
}

func TestDirFilesModeFix(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{"var/log/syslog": "", "var/log/apt/history.log": "", "var/log/wtmp": "", "var/log/ok.log": "", "var/log/setuid": ""})
	for p, m := range map[string]os.FileMode{"var/log/syslog": 0o644, "var/log/apt/history.log": 0o666, "var/log/wtmp": 0o664, "var/log/ok.log": 0o600, "var/log/setuid": 0o755 | os.ModeSetuid} {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	tg := openDir(t, dir)
	ch := fixRoundTrip(t, dirFilesModeTemplate{}, `{dir: /var/log, recursive: true, max_mode: "0640", exclude: [wtmp]}`, tg)
	got := map[string]string{}
	for _, op := range ch.Ops() {
		if op.Kind != remedy.KindChmod || !containsEffect(op.Effects, remedy.EffectPermissions) {
			t.Fatalf("op %+v", op)
		}
		got[op.Path] = op.From + ">" + op.To
	}
	want := map[string]string{"/var/log/syslog": "0644>0640", "/var/log/apt/history.log": "0666>0640", "/var/log/setuid": "4755>0640"}
	if len(got) != len(want) {
		t.Fatalf("ops %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}

func TestSchedulerAccessFix(t *testing.T) {
	files := map[string]string{"usr/bin/crontab": "", "usr/bin/at": "", "etc/cron.deny": "", "etc/at.deny": "daemon\n"}
	ch := fixRoundTrip(t, schedulerAccessTemplate{}, `{binaries: [/usr/bin/crontab], allow: /etc/cron.allow, require: allow_list}`, targettest.Tree(t, files))
	fi, err := ch.Overlay().Stat("etc/cron.allow")
	if err != nil || fi.Mode.Perm() != 0o640 || fi.UID != 0 || planned(t, ch, "etc/cron.allow") != "root\n" {
		t.Fatalf("cron.allow %+v %v", fi, err)
	}
	ch = fixRoundTrip(t, schedulerAccessTemplate{}, `{binaries: [/usr/bin/at], deny: /etc/at.deny, require: no_deny_list}`, targettest.Tree(t, files))
	if ops := ch.Ops(); len(ops) != 1 || ops[0].Kind != remedy.KindRemove || !containsEffect(ops[0].Effects, remedy.EffectSchedulerLimit) {
		t.Fatalf("ops %+v", ops)
	}
}
