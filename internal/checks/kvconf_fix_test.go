package checks

import (
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const debLoginDefs = `# /etc/login.defs - Configuration control definitions for the login package.
MAIL_DIR        /var/mail
#
# Password aging controls:
#
#	PASS_MAX_DAYS	Maximum number of days a password may be used.
PASS_MAX_DAYS	99999
PASS_MIN_DAYS	0
PASS_WARN_AGE	7
UID_MIN			 1000
UMASK		022
#ENCRYPT_METHOD DES
`

const rhelLoginDefs = `MAIL_DIR	/var/spool/mail
UMASK		077
PASS_MAX_DAYS	99999
PASS_MIN_DAYS	0
PASS_WARN_AGE	7
UID_MIN                  1000
ENCRYPT_METHOD SHA512
PASS_MAX_DAYS	400
`

func TestConfigKVFix(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		files map[string]string
		file  string
		want  []string // substrings of the planned file
		not   []string
	}{
		{"login.defs in place keeps tabs", `{syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, min: 1, max: 365, default: "99999"}`,
			map[string]string{"etc/login.defs": debLoginDefs}, "etc/login.defs",
			[]string{"\nPASS_MAX_DAYS\t365\n", "#\tPASS_MAX_DAYS\tMaximum"}, nil},
		{"login.defs later duplicate is the effective one", `{syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, min: 1, max: 365, default: "99999"}`,
			map[string]string{"etc/login.defs": rhelLoginDefs}, "etc/login.defs",
			[]string{"#cradle: PASS_MAX_DAYS\t99999\n", "PASS_MAX_DAYS\t365\n"}, []string{"\tPASS_MAX_DAYS\t400"}},
		{"umask keeps bits", `{syntax: space, paths: [/etc/login.defs], key: UMASK, umask: "027", default: "022"}`,
			map[string]string{"etc/login.defs": debLoginDefs}, "etc/login.defs",
			[]string{"\nUMASK\t\t027\n"}, nil},
		{"absent key goes after its example", `{syntax: space, paths: [/etc/login.defs], key: ENCRYPT_METHOD, allowed: [YESCRYPT, SHA512], default: DES}`,
			map[string]string{"etc/login.defs": debLoginDefs}, "etc/login.defs",
			[]string{"#ENCRYPT_METHOD DES\nENCRYPT_METHOD ", " YESCRYPT\n"}, nil},
		{"useradd created when missing_file fail", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, min: 0, max: 45, default: "-1", missing_file: fail}`,
			map[string]string{"etc/hostname": "x\n"}, "etc/default/useradd",
			[]string{"INACTIVE = 45\n"}, nil},
		{"useradd style kept", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, min: 0, max: 45, default: "-1"}`,
			map[string]string{"etc/default/useradd": "# useradd defaults\nSHELL=/bin/sh\n# INACTIVE=-1\n"}, "etc/default/useradd",
			[]string{"# INACTIVE=-1\nINACTIVE=45\n"}, nil},
		{"pwquality trailing comment kept", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: dictcheck, min: 1, default: "1"}`,
			map[string]string{"etc/security/pwquality.conf": "# dictcheck = 1\ndictcheck = 0  # off\n"}, "etc/security/pwquality.conf",
			[]string{"dictcheck = 1  # off\n"}, nil},
		{"pwquality main file wins over a drop-in", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: dictcheck, min: 1, default: "1"}`,
			map[string]string{"etc/security/pwquality.conf": "dictcheck = 0\n", "etc/security/pwquality.conf.d/50-local.conf": "dictcheck=0\n"},
			"etc/security/pwquality.conf", []string{"dictcheck = 1\n"}, nil},
		{"pwquality conflicting drop-in disabled", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: dictcheck, min: 1, default: "1"}`,
			map[string]string{"etc/security/pwquality.conf": "dictcheck = 0\n", "etc/security/pwquality.conf.d/50-local.conf": "dictcheck=0\n"},
			"etc/security/pwquality.conf.d/50-local.conf", []string{"#cradle: dictcheck=0\n"}, nil},
		{"pwquality added to the main file, read last", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: minlen, min: 14, default: "8"}`,
			map[string]string{"etc/security/pwquality.conf": "# minlen = 8\n", "etc/security/pwquality.conf.d/50-local.conf": "retry = 3\n"},
			"etc/security/pwquality.conf", []string{"# minlen = 8\nminlen = 14\n"}, nil},
		{"pwquality blank-separated setting rewritten", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: minlen, min: 14, default: "8"}`,
			map[string]string{"etc/security/pwquality.conf": "MinLen 9#short\n"},
			"etc/security/pwquality.conf", []string{"MinLen = 14 #short\n"}, nil},
		{"journald drop-in rewritten in place", `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: Storage, allowed: [persistent], default: auto}`,
			map[string]string{"etc/systemd/journald.conf": "[Journal]\n#Storage=auto\n#Compress=yes\n", "etc/systemd/journald.conf.d/90-x.conf": "[Journal]\nStorage=volatile\nCompress=no\n"},
			"etc/systemd/journald.conf.d/90-x.conf", []string{"[Journal]\nStorage=persistent\nCompress=no\n"}, nil},
		{"journald set in its section after the example", `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: ForwardToSyslog, allowed: ["yes"], default: "no"}`,
			map[string]string{"etc/systemd/journald.conf": "# comment\n[Journal]\n#Storage=auto\n#ForwardToSyslog=no\n#MaxLevelStore=debug\n"},
			"etc/systemd/journald.conf", []string{"#ForwardToSyslog=no\nForwardToSyslog=yes\n#MaxLevelStore"}, nil},
		{"systemd section added", `{syntax: systemd, paths: [/etc/systemd/coredump.conf], dropins: true, section: Coredump, key: Storage, allowed: [none], default: external}`,
			map[string]string{"etc/systemd/coredump.conf": "# empty\n"},
			"etc/systemd/coredump.conf", []string{"# empty\n\n[Coredump]\nStorage=none\n"}, nil},
		{"vendor drop-in masked from /etc", `{syntax: systemd, paths: [/etc/systemd/coredump.conf], dropins: true, section: Coredump, key: ProcessSizeMax, allowed: ["0"], default: "2G"}`,
			map[string]string{"etc/systemd/coredump.conf": "[Coredump]\n", "usr/lib/systemd/coredump.conf.d/50-vendor.conf": "[Coredump]\nProcessSizeMax=1G\n"},
			"etc/systemd/coredump.conf.d/50-vendor.conf", []string{"[Coredump]\nProcessSizeMax=0\n"}, nil},
		{"forbidden falls back to a compliant default", `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: Storage, forbidden: [none, volatile], default: auto}`,
			map[string]string{"etc/systemd/journald.conf": "[Journal]\nStorage=none\n"},
			"etc/systemd/journald.conf", []string{"[Journal]\nStorage=auto\n"}, nil},
		{"absent comments every occurrence", `{syntax: space, paths: [/etc/chrony/chrony.conf, /etc/chrony/conf.d/*.conf], key: allow, absent: true}`,
			map[string]string{"etc/chrony/chrony.conf": "pool 2.debian.pool.ntp.org iburst\nallow all\n", "etc/chrony/conf.d/x.conf": "allow 10.0.0.0/8\n"},
			"etc/chrony/chrony.conf", []string{"pool 2.debian", "#cradle: allow all\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, configKVTemplate{}, tt.args, targettest.Tree(t, tt.files))
			got := planned(t, ch, tt.file)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("planned %s lacks %q:\n%s", tt.file, w, got)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("planned %s has %q:\n%s", tt.file, w, got)
				}
			}
			for _, op := range ch.Ops() {
				if op.Kind == remedy.KindWrite && op.Diff == "" {
					t.Errorf("write %s without diff", op.Path)
				}
			}
		})
	}
}

func TestConfigKVFixDefersAfterPwqualityStop(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"etc/security/pwquality.conf": "dictcheck = 1\n", "etc/security/pwquality.conf.d/10-x.conf": "dictcheck = 0\nminlength = 9\n"})
	ch := fixRoundTrip(t, configKVTemplate{}, `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: dictcheck, min: 1, default: "1"}`, tg)
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "10-x.conf:2: unknown setting") {
		t.Fatalf("ops %+v, want one deferred naming where the read stops", ops)
	}
}

func TestConfigKVFixDefersPresentOnly(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n"})
	ch := fixRoundTrip(t, configKVTemplate{}, `{syntax: systemd, paths: [/etc/systemd/timesyncd.conf], dropins: true, section: Time, keys: [NTP, FallbackNTP], present: true}`, tg)
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() {
		t.Fatalf("ops %+v, want one deferred", ops)
	}
}

// Two login.defs rules planned into one change set edit one file and
// keep its mode and owner.
func TestConfigKVFixComposes(t *testing.T) {
	tg := modeTree(t, map[string]string{"etc/login.defs": debLoginDefs}, map[string]os.FileMode{"etc/login.defs": 0o600}, nil)
	ch := remedy.New(tg)
	for i, args := range []string{
		`{syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, min: 1, max: 365, default: "99999"}`,
		`{syntax: space, paths: [/etc/login.defs], key: PASS_MIN_DAYS, min: 1, default: "0"}`,
	} {
		c := newCheck(t, configKVTemplate{}, args)
		ch.Begin([]string{"a", "b"}[i], remedy.Meta{})
		remediate(t, c, ch)
	}
	got := planned(t, ch, "etc/login.defs")
	if !strings.Contains(got, "PASS_MAX_DAYS\t365\nPASS_MIN_DAYS\t1\n") {
		t.Fatalf("planned:\n%s", got)
	}
	fin := ch.Final()
	if len(fin) != 1 || fin[0].Action != remedy.ActWrite || fin[0].ModeSet || fin[0].OwnerSet {
		t.Fatalf("final %+v", fin)
	}
	if fi, err := ch.Overlay().Stat("etc/login.defs"); err != nil || fi.Mode.Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode, err)
	}
	for _, c := range []string{"a", "b"} {
		if len(ch.RuleOps(c)) != 1 {
			t.Errorf("rule %s ops %d", c, len(ch.RuleOps(c)))
		}
	}
}
