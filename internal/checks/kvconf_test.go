package checks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// authFile is a test file with an optional mode (default 0644).
type authFile struct {
	content string
	mode    os.FileMode
}

// authStore writes files ("etc/x" -> content or authFile) into a temp
// dir and returns a fact store over it.
func authStore(t testing.TB, files map[string]any) *facts.Store {
	t.Helper()
	dir := t.TempDir()
	for p, v := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		f := authFile{mode: 0o644}
		switch x := v.(type) {
		case string:
			f.content = x
		case authFile:
			f = x
		}
		if err := os.WriteFile(full, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return facts.NewStore(context.Background(), tg)
}

// authCase is one template evaluation: args (YAML flow mapping), files,
// the wanted status and a substring the evidence must contain.
type authCase struct {
	name  string
	args  string
	files map[string]any
	want  result.Status
	ev    string
}

func runAuthCases(t *testing.T, tmpl check.Template, cases []authCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.args), &doc); err != nil {
				t.Fatal(err)
			}
			c, err := tmpl.New(doc.Content[0])
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			out := c.Evaluate(context.Background(), authStore(t, tc.files))
			ev := fmt.Sprintf("%s %+v", out.Reason, out.Evidence)
			if out.Status != tc.want {
				t.Fatalf("status %s, want %s: %s", out.Status, tc.want, ev)
			}
			if !strings.Contains(ev, tc.ev) {
				t.Errorf("evidence %s lacks %q", ev, tc.ev)
			}
		})
	}
}

// runArgErrors requires each args document to be rejected by New.
func runArgErrors(t *testing.T, tmpl check.Template, bad []string) {
	t.Helper()
	for _, a := range bad {
		t.Run("bad "+a, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(a), &doc); err != nil {
				t.Fatal(err)
			}
			if _, err := tmpl.New(doc.Content[0]); err == nil {
				t.Fatalf("New(%s) accepted", a)
			}
		})
	}
}

const debianLoginDefs = "# /etc/login.defs\nMAIL_DIR        /var/mail\nUMASK\t\t022\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUID_MIN\t\t\t 1000\nENCRYPT_METHOD SHA512\n"

func TestConfigKV(t *testing.T) {
	runAuthCases(t, configKVTemplate{}, []authCase{
		{"login.defs max fail", `{syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, max: 365}`,
			map[string]any{"etc/login.defs": debianLoginDefs}, result.Fail, "PASS_MAX_DAYS 99999"},
		{"login.defs allowed pass", `{syntax: space, paths: [/etc/login.defs], key: ENCRYPT_METHOD, allowed: [yescrypt, sha512]}`,
			map[string]any{"etc/login.defs": debianLoginDefs}, result.Pass, "Line:8"},
		{"umask fail", `{syntax: space, paths: [/etc/login.defs], key: UMASK, umask: "027"}`,
			map[string]any{"etc/login.defs": debianLoginDefs}, result.Fail, "UMASK 022"},
		{"umask pass", `{syntax: space, paths: [/etc/login.defs], key: UMASK, umask: "027"}`,
			map[string]any{"etc/login.defs": "UMASK 077\n"}, result.Pass, "UMASK 077"},
		{"last wins", `{syntax: space, paths: [/etc/login.defs], key: PASS_MIN_DAYS, min: 1}`,
			map[string]any{"etc/login.defs": debianLoginDefs + "PASS_MIN_DAYS 1\n"}, result.Pass, "Line:9"},
		{"first wins", `{syntax: space, paths: [/etc/login.defs], key: PASS_MIN_DAYS, min: 1, first_wins: true}`,
			map[string]any{"etc/login.defs": debianLoginDefs + "PASS_MIN_DAYS 1\n"}, result.Fail, "Line:5"},
		{"default used", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, min: 0, max: 45, default: "-1"}`,
			map[string]any{"etc/default/useradd": "# INACTIVE=-1\nSHELL=/bin/sh\n"}, result.Fail, "default -1"},
		{"unset without default fails", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, max: 45}`,
			map[string]any{"etc/default/useradd": "SHELL=/bin/sh\n"}, result.Fail, "not set"},
		{"missing file not applicable", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, max: 45}`,
			map[string]any{}, result.NotApplicable, "does not exist"},
		{"missing file fail", `{syntax: equals, paths: [/etc/default/useradd], key: INACTIVE, max: 45, missing_file: fail}`,
			map[string]any{}, result.Fail, "file absent"},
		{"glob later file wins", `{syntax: equals, paths: [/etc/security/pwquality.conf, /etc/security/pwquality.conf.d/*.conf], key: minlen, min: 14}`,
			map[string]any{"etc/security/pwquality.conf": "minlen = 8\n", "etc/security/pwquality.conf.d/50-site.conf": "minlen = 15\n"}, result.Pass, "50-site.conf"},
		{"pwquality main file read last wins", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: minlen, min: 14}`,
			map[string]any{"etc/security/pwquality.conf": "minlen = 8\n", "etc/security/pwquality.conf.d/50-site.conf": "minlen = 15\n"}, result.Fail, "pwquality.conf"},
		{"pwquality drop-in applies when the main file is silent", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: minlen, min: 14}`,
			map[string]any{"etc/security/pwquality.conf": "# minlen = 8\n", "etc/security/pwquality.conf.d/50-site.conf": "MINLEN 15\n"}, result.Pass, "50-site.conf"},
		{"pwquality unknown setting stops the read", `{syntax: pwquality, paths: [/etc/security/pwquality.conf], key: minlen, min: 14, default: "8"}`,
			map[string]any{"etc/security/pwquality.conf": "minlen = 15\n", "etc/security/pwquality.conf.d/10-x.conf": "minlength = 20\n"}, result.Fail, "reading stopped at /etc/security/pwquality.conf.d/10-x.conf:1"},
		{"systemd drop-in", `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: Storage, allowed: [persistent], default: auto}`,
			map[string]any{"etc/systemd/journald.conf": "[Journal]\n#Storage=auto\n", "etc/systemd/journald.conf.d/50-x.conf": "[Journal]\nStorage=persistent\n"}, result.Pass, "50-x.conf"},
		{"systemd empty resets", `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: Storage, allowed: [persistent], default: auto}`,
			map[string]any{"etc/systemd/journald.conf": "[Journal]\nStorage=persistent\n", "etc/systemd/journald.conf.d/50-x.conf": "[Journal]\nStorage=\n"}, result.Fail, "default auto"},
		{"systemd other section ignored", `{syntax: systemd, paths: [/etc/systemd/coredump.conf], section: Coredump, key: Storage, allowed: [none], default: external}`,
			map[string]any{"etc/systemd/coredump.conf": "[Other]\nStorage=none\n"}, result.Fail, "default external"},
		{"keys present", `{syntax: space, paths: [/etc/chrony/chrony.conf, /etc/chrony/sources.d/*.sources], keys: [server, pool], present: true}`,
			map[string]any{"etc/chrony/chrony.conf": "driftfile /x\n", "etc/chrony/sources.d/a.sources": "server ntp.example.com iburst\n"}, result.Pass, "a.sources"},
		{"absent fail", `{syntax: space, paths: [/etc/chrony/chrony.conf], key: allow, absent: true}`,
			map[string]any{"etc/chrony/chrony.conf": "pool x\nallow all\n"}, result.Fail, "allow all"},
		{"absent pass", `{syntax: space, paths: [/etc/chrony/chrony.conf], key: allow, absent: true}`,
			map[string]any{"etc/chrony/chrony.conf": "pool x\n"}, result.Pass, "not set"},
		{"case insensitive", `{syntax: equals, paths: [/etc/audit/auditd.conf], key: MAX_LOG_FILE_ACTION, case_insensitive: true, allowed: [keep_logs]}`,
			map[string]any{"etc/audit/auditd.conf": "max_log_file_action = KEEP_LOGS\n"}, result.Pass, "KEEP_LOGS"},
		{"unreadable is error", `{syntax: equals, paths: [/etc/x.conf], key: a, present: true}`,
			map[string]any{"etc/x.conf/": nil}, result.Error, "x.conf"},
	})
	runArgErrors(t, configKVTemplate{}, []string{
		`{syntax: toml, paths: [/a], key: k, present: true}`,
		`{syntax: space, key: k, present: true}`,
		`{syntax: space, paths: [/a], present: true}`,
		`{syntax: space, paths: [/a], key: k}`,
		`{syntax: space, paths: [/a], key: k, dropins: true, present: true}`,
		`{syntax: space, paths: [/a], key: k, absent: true, max: 3}`,
		`{syntax: space, paths: [/a], key: k, umask: "999"}`,
		`{syntax: space, paths: [/a], key: k, present: true, bogus: 1}`,
	})
}
