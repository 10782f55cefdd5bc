package checks

import (
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

func TestJournaldRetention(t *testing.T) {
	jd := func(files map[string]any) map[string]any {
		files["usr/lib/systemd/systemd-journald"] = ""
		return files
	}
	runAuthCases(t, journaldRetentionTemplate{}, []authCase{
		{"unset", `{min_days: 90}`, jd(map[string]any{"etc/systemd/journald.conf": "[Journal]\n#MaxRetentionSec=\n"}), result.Pass, "no time limit"},
		{"zero", `{min_days: 90}`, jd(map[string]any{"etc/systemd/journald.conf": "[Journal]\nMaxRetentionSec=0\n"}), result.Pass, "MaxRetentionSec=0"},
		{"one year", `{min_days: 90}`, jd(map[string]any{"etc/systemd/journald.conf": "[Journal]\nMaxRetentionSec=1year\n"}), result.Pass, ""},
		{"drop-in wins", `{min_days: 90}`, jd(map[string]any{
			"etc/systemd/journald.conf":                 "[Journal]\nMaxRetentionSec=1year\n",
			"usr/lib/systemd/journald.conf.d/10-a.conf": "[Journal]\nMaxRetentionSec=2w\n",
			"etc/systemd/journald.conf.d/20-b.conf":     "[Journal]\nMaxRetentionSec=1month 2w\n",
			"usr/lib/systemd/journald.conf.d/20-b.conf": "[Journal]\nMaxRetentionSec=5y\n",
		}), result.Fail, "20-b.conf"},
		{"other section", `{min_days: 90}`, jd(map[string]any{"etc/systemd/journald.conf": "[Other]\nMaxRetentionSec=1d\n"}), result.Pass, ""},
		{"no journald", `{min_days: 90}`, map[string]any{}, result.NotApplicable, "not installed"},
	})
	runArgErrors(t, journaldRetentionTemplate{}, []string{`{}`, `{min_days: 0}`})
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "3600": time.Hour, "1h 30min": 90 * time.Minute,
		"2w": 14 * 24 * time.Hour, "1.5h": 90 * time.Minute, "1month": 2629800 * time.Second} {
		if got, ok := SystemdTimespan(in); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "x", "5 fortnights", "infinity", "d"} {
		if _, ok := SystemdTimespan(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestLogrotateRotate(t *testing.T) {
	args := `{min: 4, logs: [/var/log/syslog, /var/log/auth.log]}`
	conf := "weekly\nrotate 4\ninclude /etc/logrotate.d\n"
	rs := "/var/log/syslog\n/var/log/auth.log\n{\n\tweekly\n\tpostrotate\n\t\trotate 1\n\tendscript\n}\n"
	runAuthCases(t, logrotateRotateTemplate{}, []authCase{
		{"inherits global", args, map[string]any{"etc/logrotate.conf": conf, "etc/logrotate.d/rsyslog": rs}, result.Pass, "rsyslog:1): rotate 4 File:/etc/logrotate.conf Line:2"},
		{"own rotate", args, map[string]any{"etc/logrotate.conf": conf, "etc/logrotate.d/rsyslog": "/var/log/syslog {\n rotate 2\n}\n"}, result.Fail, "rotate 2"},
		{"global after include does not apply", args, map[string]any{"etc/logrotate.conf": "include /etc/logrotate.d\nrotate 9\n", "etc/logrotate.d/rsyslog": rs},
			result.Fail, "logrotate's default"},
		{"glob", args, map[string]any{"etc/logrotate.conf": conf, "etc/logrotate.d/x": "/var/log/*.log {\nrotate 1\n}\n"}, result.Fail, "/var/log/auth.log"},
		{"taboo skipped", args, map[string]any{"etc/logrotate.conf": conf, "etc/logrotate.d/rsyslog": rs, "etc/logrotate.d/rsyslog.dpkg-old": "/var/log/syslog {\nrotate 1\n}\n"}, result.Pass, ""},
		{"no block, global", args, map[string]any{"etc/logrotate.conf": "rotate 2\n"}, result.Fail, "not rotated by logrotate"},
		{"no block, large global", args, map[string]any{"etc/logrotate.conf": "rotate 52\n"}, result.Fail, "not rotated by logrotate"},
		{"absent", args, map[string]any{}, result.NotApplicable, "not configured"},
	})
	runArgErrors(t, logrotateRotateTemplate{}, []string{`{}`, `{min: 4}`, `{logs: [/a]}`})
}

func TestRemoteLogging(t *testing.T) {
	tlsAction := `action(type="omfwd" target="l" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name")` + "\n"
	sd := func(files map[string]any) map[string]any {
		files["usr/lib/systemd/systemd"] = ""
		files["usr/lib/systemd/system/systemd-journal-upload.service"] = "[Install]\nWantedBy=multi-user.target\n"
		return files
	}
	upload := "etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service"
	runAuthCases(t, remoteLoggingTemplate{}, []authCase{
		{"tls action", `{require: tls}`, map[string]any{"etc/rsyslog.conf": tlsAction}, result.Pass, "TLS (gtls, auth mode x509/name)"},
		{"udp default", `{require: tls}`, map[string]any{"etc/rsyslog.conf": `action(type="omfwd" target="l" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name")` + "\n"}, result.Fail, "UDP"},
		{"anon", `{require: tls}`, map[string]any{"etc/rsyslog.conf": `global(defaultNetstreamDriver="ossl")` + "\n" + `action(type="omfwd" target="l" protocol="tcp" StreamDriverMode="1" StreamDriverAuthMode="anon")` + "\n"}, result.Fail, "auth mode anon"},
		{"legacy tls", `{require: tls}`, map[string]any{"etc/rsyslog.conf": "$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode x509/name\n*.* @@(o)logs:6514\n"}, result.Pass, "@@(o)logs:6514"},
		{"legacy plain", `{require: tls}`, map[string]any{"etc/rsyslog.conf": "*.* @@logs:514\n$ActionSendStreamDriverMode 1\n"}, result.Fail, "ptcp"},
		{"legacy udp configured", `{require: configured}`, map[string]any{"etc/rsyslog.conf": "auth.*  @logs\n"}, result.Pass, "@logs"},
		{"none tls", `{require: tls}`, map[string]any{"etc/rsyslog.conf": "*.* /var/log/syslog\n"}, result.NotApplicable, "no remote logging"},
		{"none configured", `{require: configured}`, map[string]any{"etc/rsyslog.conf": "*.* /var/log/syslog\n"}, result.Fail, "no rsyslog forwarding"},
		{"other shipper", `{require: configured}`, map[string]any{"etc/syslog-ng/syslog-ng.conf": ""}, result.NotApplicable, "syslog-ng"},
		{"journal upload https", `{require: tls}`, sd(map[string]any{upload: "", "etc/systemd/journal-upload.conf": "[Upload]\nURL=logs.example:19532\n"}), result.Pass, "URL=logs.example"},
		{"journal upload http", `{require: tls}`, sd(map[string]any{upload: "", "etc/systemd/journal-upload.conf": "[Upload]\nURL=http://logs\n"}), result.Fail, "unencrypted"},
		{"journal upload unverified", `{require: tls}`, sd(map[string]any{upload: "", "etc/systemd/journal-upload.conf": "[Upload]\nURL=https://logs\nTrustedCertificateFile=all\n"}), result.Fail, "not verified"},
		{"journal upload disabled", `{require: configured}`, sd(map[string]any{"etc/systemd/journal-upload.conf": "[Upload]\nURL=https://logs\n"}), result.Fail, "no rsyslog"},
	})
	runArgErrors(t, remoteLoggingTemplate{}, []string{`{}`, `{require: maybe}`})
}
