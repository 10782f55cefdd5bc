package impact

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// now is the reference time of the fixtures: their logs span December
// 2023 to January 2024.
var now = time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC)

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const passwd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
bob:x:1001:1001:Bob,,,:/home/bob:/bin/bash
carol:x:1002:10:Carol:/home/carol:/bin/bash
`

const shadow = `root:$y$j9T$Zq3xMb6bT1Lw9b8mM2s4H0$9mP1vQ5k3mF3pA0c3a6n1u6H8t2xUo7Wl4bJ0yQ5qD8:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
www-data:*:19700:0:99999:7:::
backup:*:19700:0:99999:7:::
alice:!:19700:0:99999:7:::
bob:$y$j9T$a9s8d7f6g5h4j3k2l1z0x.$Q3q2w1e0r9t8y7u6i5o4p3a2s1d0f9g8h7j6k5l4z3x:19700:0:99999:7:::
carol:$6$rounds=5000$saltsalt$0r8q7p6o5n4m3l2k1j0i9h8g7f6e5d4c3b2a1z0y9x8w7v6u5t4s3r2q1p0o9n8m7l6k5j4i3h2g1f0e9d8c7b6a5:19700:0:99999:7:::
`

const group = `root:x:0:
wheel:x:10:
sudo:x:27:alice
www-data:x:33:
backup:x:34:
alice:x:1000:
bob:x:1001:
`

const rootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm3mVb0Z7o1HnSl0QyF4Zx2bq8VvC5n2x3dLq1f0aB root@laptop\n"

// accountsTree is an offline system with users, groups and keys; extra
// overrides or adds files ("-" deletes one).
func accountsTree(extra map[string]string) map[string]string {
	files := map[string]string{
		"etc/passwd":                "" + passwd,
		"etc/shadow":                shadow,
		"etc/group":                 group,
		"etc/ssh/sshd_config":       "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n",
		"root/.ssh/authorized_keys": "# managed by ansible\n" + rootKey,
	}
	for k, v := range extra {
		if v == "-" {
			delete(files, k)
			continue
		}
		files[k] = v
	}
	return files
}

func collect(t *testing.T, tg target.Target) *Signals {
	t.Helper()
	s, err := Collect(context.Background(), tg, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func assess(s *Signals, effects ...remedy.Effect) remedy.Impact {
	return s.Assess(&remedy.Op{Effects: effects})
}

// wantImpact checks the level and that each want string occurs in the
// evidence.
func wantImpact(t *testing.T, got remedy.Impact, level string, want ...string) {
	t.Helper()
	if got.Level != level {
		t.Errorf("level = %s, want %s; evidence: %q", got.Level, level, got.Evidence)
	}
	all := strings.Join(got.Evidence, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("evidence lacks %q:\n%s", w, all)
		}
	}
}

func TestSSHNoRootLogin(t *testing.T) {
	logs := map[string]string{"var/log/auth.log": testdata(t, "auth.log")}
	tests := []struct {
		name  string
		files map[string]string
		value string
		level string
		want  []string
	}{
		{"root logged in", logs, "no", remedy.ImpactObserved, []string{
			"root logged in over SSH 2 times (publickey), last 2024-01-19 16:20 UTC from 192.0.2.11 (/var/log/auth.log); from 192.0.2.10, 192.0.2.11 in the last 30 days"}},
		{"root keys only while keys stay allowed", logs, "prohibit-password", remedy.ImpactNone, []string{"no root SSH login with a password in /var/log/auth.log covering the last 30 days"}},
		{"root keys, no admin keys, no logs", nil, "no", remedy.ImpactUnknown, []string{"no authentication log or journal was read", "root has SSH keys (/root/.ssh/authorized_keys)", "administrators without keys: alice"}},
		{"root keys, no admin keys, logs", map[string]string{"var/log/secure": testdata(t, "secure")}, "no", remedy.ImpactPossible, []string{"root has SSH keys (/root/.ssh/authorized_keys)"}},
		{"admin has keys", map[string]string{"home/alice/.ssh/authorized_keys": rootKey}, "no", remedy.ImpactUnknown, []string{"no authentication log or journal was read (auth-log: no auth.log or secure file under /var/log written in the last 30 days; journal: no persistent journal under /var/log/journal): root SSH login not ruled out"}},
		{"admin key in AuthorizedKeysFile", map[string]string{
			"etc/ssh/sshd_config": "AuthorizedKeysFile /etc/ssh/keys/%u .ssh/authorized_keys\n",
			"etc/ssh/keys/alice":  rootKey,
			"var/log/secure":      testdata(t, "secure"),
		}, "no", remedy.ImpactNone, []string{"no root SSH login in /var/log/secure"}},
		{"root without keys", map[string]string{"root/.ssh/authorized_keys": "# none\n\n", "var/log/secure": testdata(t, "secure")}, "no", remedy.ImpactNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := collect(t, targettest.Tree(t, accountsTree(tc.files)))
			got := assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: tc.value})
			wantImpact(t, got, tc.level, tc.want...)
		})
	}
}

func TestSSHNoPassword(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		level string
		want  []string
	}{
		{"password login on Debian", map[string]string{"var/log/auth.log": testdata(t, "auth.log")}, remedy.ImpactObserved,
			[]string{"bob logged in over SSH with a password once (password), last 2024-01-16 11:02 UTC from 198.51.100.23"}},
		{"keyboard-interactive on RHEL", map[string]string{"var/log/secure": testdata(t, "secure")}, remedy.ImpactObserved,
			[]string{"carol logged in over SSH with a password once (keyboard-interactive/pam), last 2024-01-14 22:03 UTC from 203.0.113.5"}},
		{"password users without keys, no logs", nil, remedy.ImpactUnknown,
			[]string{"no authentication log or journal was read", "users with a password and no authorized keys can only log in with a password: bob, carol"}},
		{"password users without keys", map[string]string{"var/log/auth.log": testdata(t, "auth.log.1")}, remedy.ImpactPossible,
			[]string{"users with a password and no authorized keys can only log in with a password: bob, carol"}},
		{"every password user has keys, no logs", map[string]string{
			"home/bob/.ssh/authorized_keys":   rootKey,
			"home/carol/.ssh/authorized_keys": rootKey,
		}, remedy.ImpactUnknown, []string{"password SSH login not ruled out"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := collect(t, targettest.Tree(t, accountsTree(tc.files)))
			wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoPassword}), tc.level, tc.want...)
		})
	}
}

func TestAccountChange(t *testing.T) {
	s := collect(t, targettest.Tree(t, accountsTree(map[string]string{"var/log/auth.log": testdata(t, "auth.log")})))
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "alice"}), remedy.ImpactObserved,
		"alice logged in over SSH once (publickey), last 2024-01-18 07:45 UTC from 2001:db8::5")
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "carol"}), remedy.ImpactNone, "no SSH login by carol")
}

// TestAuthLogRotation reads the current log, the plain first rotation
// (December lines in a January read: last year) and a gzip rotation whose
// line is older than the window.
func TestAuthLogRotation(t *testing.T) {
	dir := targettest.Dir(t, accountsTree(map[string]string{
		"var/log/auth.log":   testdata(t, "auth.log"),
		"var/log/auth.log.1": testdata(t, "auth.log.1"),
	}))
	if err := os.WriteFile(filepath.Join(dir, "var/log/auth.log.2.gz"), gz(t, testdata(t, "auth.log.2")), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s := collect(t, tg)
	if len(s.LogFiles) != 3 {
		t.Errorf("log files = %v", s.LogFiles)
	}
	var root []string
	for _, l := range s.Logins {
		if l.User == "root" {
			root = append(root, l.Time.Format(time.RFC3339)+" "+l.Method)
		}
	}
	want := "2023-12-28T23:59:12Z publickey,2024-01-15T09:12:44Z publickey,2024-01-19T16:20:01Z publickey"
	if got := strings.Join(root, ","); got != want {
		t.Errorf("root logins = %s\nwant %s", got, want)
	}
	// The November password login of root is outside the 30 days.
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactNone)
	// A 90-day window sees it.
	s90, err := Collect(context.Background(), tg, Options{Now: now, Window: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	wantImpact(t, assess(s90, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactObserved,
		"root logged in over SSH with a password once (password), last 2023-11-02 10:15 UTC from 192.0.2.99")
}

func TestParseAcceptedYear(t *testing.T) {
	tests := []struct {
		line string
		now  time.Time
		want string // RFC 3339, "" for no match
	}{
		{"Dec 31 23:59:58 h sshd[1]: Accepted publickey for root from 192.0.2.1 port 22 ssh2", time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC), "2023-12-31T23:59:58Z"},
		{"Jan  2 07:59:00 h sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2", time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC), "2024-01-02T07:59:00Z"},
		// Slightly ahead of the reader's clock: still this year.
		{"Jan  3 07:59:00 h sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2", time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC), "2024-01-03T07:59:00Z"},
		// Feb 29 read in a non-leap year belongs to the last leap year.
		{"Feb 29 12:00:00 h sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2", time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), "2024-02-29T12:00:00Z"},
		{"2024-01-15T09:12:44.118372+01:00 web1 sshd[2211]: Accepted publickey for root from 192.0.2.10 port 52344 ssh2: ED25519 SHA256:x", now, "2024-01-15T09:12:44.118372+01:00"},
		{"Jan 14 22:03:11 rhel9 sshd-session[1833]: Accepted keyboard-interactive/pam for carol from 203.0.113.5 port 55012 ssh2", now, "2024-01-14T22:03:11Z"},
		{"Jan 14 22:03:11 rhel9 sshd[1833]: Failed password for carol from 203.0.113.5 port 55012 ssh2", now, ""},
		{"Jan 14 22:03:11 rhel9 sudo[1833]: Accepted password for carol from 203.0.113.5 port 55012 ssh2", now, ""},
		{"Jan 14 22:03:11 rhel9 sshd[1833]: Accepted password for carol from not-an-ip port 55012 ssh2", now, ""},
	}
	for _, tc := range tests {
		l, ok := ParseAccepted(tc.line, tc.now)
		got := ""
		if ok {
			got = l.Time.Format(time.RFC3339Nano)
		}
		if got != tc.want {
			t.Errorf("%q at %s: got %q, want %q", tc.line, tc.now, got, tc.want)
		}
	}
}

func littleEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 1
}

// liveTree is a running web server: sshd with an inbound connection,
// MariaDB on loopback, nginx with a client, a backup agent connected out,
// cups socket-activated by PID 1, dockerd, and unit files tying nginx to
// php-fpm and redis.
func liveTree(t *testing.T, extra map[string]string) map[string]string {
	if !littleEndian() {
		t.Skip("socket table fixtures are in little-endian kernel format")
	}
	files := accountsTree(map[string]string{
		"proc/net/tcp":  testdata(t, "proc-net-tcp"),
		"proc/net/tcp6": testdata(t, "proc-net-tcp6"),
		"proc/net/udp":  testdata(t, "proc-net-udp"),
		"proc/net/udp6": testdata(t, "proc-net-udp6"),
		"proc/modules":  testdata(t, "proc-modules"),

		"proc/sys/net/ipv4/ip_forward":          "1\n",
		"proc/sys/net/ipv6/conf/all/forwarding": "0\n",

		"proc/1/comm":   "systemd\n",
		"proc/1/exe":    "->/usr/lib/systemd/systemd",
		"proc/1/cgroup": "0::/init.scope\n",
		"proc/1/fd/50":  "->socket:[17000]",
		"proc/1/fd/51":  "->anon_inode:[eventpoll]",

		"proc/2/comm": "kthreadd\n",

		"proc/612/comm":   "sshd\n",
		"proc/612/exe":    "->/usr/sbin/sshd",
		"proc/612/cgroup": "0::/system.slice/ssh.service\n",
		"proc/612/fd/0":   "->/dev/null",
		"proc/612/fd/3":   "->socket:[18342]",
		"proc/612/fd/4":   "->socket:[18344]",

		"proc/2211/comm":   "sshd\n",
		"proc/2211/exe":    "->/usr/sbin/sshd",
		"proc/2211/cgroup": "0::/system.slice/ssh.service\n",
		"proc/2211/fd/4":   "->socket:[23410]",

		"proc/700/comm":   "mariadbd\n",
		"proc/700/exe":    "->/usr/sbin/mariadbd",
		"proc/700/cgroup": "0::/system.slice/mariadb.service\n",
		"proc/700/fd/20":  "->socket:[20001]",

		"proc/810/comm":   "nginx\n",
		"proc/810/exe":    "->/usr/sbin/nginx",
		"proc/810/cgroup": "0::/system.slice/nginx.service\n",
		"proc/810/fd/6":   "->socket:[19950]",
		"proc/810/fd/9":   "->socket:[25000]",

		"proc/900/comm":   "pgbackrest\n",
		"proc/900/exe":    "->/usr/bin/pgbackrest",
		"proc/900/cgroup": "0::/system.slice/pgbackrest.service\n",
		"proc/900/fd/5":   "->socket:[24500]",

		"proc/950/comm":   "dockerd\n",
		"proc/950/exe":    "->/usr/bin/dockerd",
		"proc/950/cgroup": "0::/system.slice/docker.service\n",

		// cgroup v1 (name=systemd hierarchy) on an older host.
		"proc/1000/comm":   "cron\n",
		"proc/1000/exe":    "->/usr/sbin/cron (deleted)",
		"proc/1000/cgroup": "12:pids:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n",

		"usr/lib/systemd/systemd":              "",
		"bin":                                  "->usr/bin",
		"usr/bin/dockerd":                      "ELF",
		"lib":                                  "->usr/lib",
		"usr/lib/systemd/system/ssh.service":   testdata(t, "units/ssh.service"),
		"usr/lib/systemd/system/nginx.service": testdata(t, "units/nginx.service"),
		"usr/lib/systemd/system/php8.2-fpm.service":                       testdata(t, "units/php8.2-fpm.service"),
		"usr/lib/systemd/system/redis-server.service":                     testdata(t, "units/redis-server.service"),
		"usr/lib/systemd/system/legacy-report.service":                    testdata(t, "units/legacy-report.service"),
		"usr/lib/systemd/system/cups.socket":                              testdata(t, "units/cups.socket"),
		"usr/lib/systemd/system/cups.service":                             testdata(t, "units/cups.service"),
		"usr/lib/systemd/system/pgbackrest.service":                       testdata(t, "units/pgbackrest.service"),
		"etc/systemd/system/sshd.service":                                 "->/lib/systemd/system/ssh.service",
		"etc/systemd/system/multi-user.target.wants/ssh.service":          "->/lib/systemd/system/ssh.service",
		"etc/systemd/system/multi-user.target.wants/nginx.service":        "->/lib/systemd/system/nginx.service",
		"etc/systemd/system/multi-user.target.wants/php8.2-fpm.service":   "->/lib/systemd/system/php8.2-fpm.service",
		"etc/systemd/system/multi-user.target.wants/redis-server.service": "->/lib/systemd/system/redis-server.service",
		"etc/systemd/system/sockets.target.wants/cups.socket":             "->/lib/systemd/system/cups.socket",
		"etc/systemd/system/multi-user.target.wants/pgbackrest.service":   "->/lib/systemd/system/pgbackrest.service",
		"etc/systemd/system/pgbackrest.service.wants/mariadb.service":     "->/lib/systemd/system/mariadb.service",

		"var/lib/dpkg/info/openssh-server.list": "/.\n/usr\n/usr/sbin\n/usr/sbin/sshd\n/lib/systemd/system/ssh.service\n/lib/systemd/system/ssh.socket\n",
		"var/lib/dpkg/info/cron.list":           "/.\n/usr/sbin/cron\n/lib/systemd/system/cron.service\n",
		"var/lib/dpkg/info/telnet.list":         "/.\n/usr/bin/telnet.netkit\n",
	})
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func chmod(dir, name string, mode os.FileMode) error {
	return os.Chmod(filepath.Join(dir, filepath.FromSlash(name)), mode)
}

func openLive(t *testing.T, dir string) target.Target {
	t.Helper()
	tg, err := target.OpenLiveRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// TestAssessManyEffectsBounded assesses one account-file edit that
// changes many accounts, two of which logged in: the verdict is observed
// with both logins named, and the evidence stays bounded.
func TestAssessManyEffectsBounded(t *testing.T) {
	s := collect(t, targettest.Tree(t, accountsTree(map[string]string{"var/log/auth.log": testdata(t, "auth.log")})))
	op := &remedy.Op{}
	for i := range 5000 {
		op.Effects = append(op.Effects, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: fmt.Sprintf("user%d", i)})
	}
	none := s.Assess(op)
	if none.Level != remedy.ImpactNone || len(none.Evidence) > remedy.MaxImpactEvidence+1 || !strings.HasPrefix(none.Evidence[len(none.Evidence)-1], "and 4980 more") {
		t.Errorf("none: level %s, %d evidence items, last %q", none.Level, len(none.Evidence), none.Evidence[len(none.Evidence)-1])
	}
	op.Effects = append(op.Effects, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "alice"}, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "root"})
	wantImpact(t, s.Assess(op), remedy.ImpactObserved, "alice logged in over SSH", "root logged in over SSH")
}
