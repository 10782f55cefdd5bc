//go:build linux

package integration

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The appliance's people and what they do; scripts/fixture-appliance.sh
// creates the accounts, the test gives them keys and (in one variant)
// the logs of their recent use.
var applianceKeyUsers = []string{"admin", "cloud", "ops"}

// account is one /etc/passwd entry of a tree.
type account struct {
	uid, gid int
	home     string
}

// treeAccounts reads the tree's own /etc/passwd (test input written by
// the fixture script, so a plain split is enough).
func treeAccounts(t *testing.T, dir string) map[string]account {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	accts := map[string]account{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		accts[f[0]] = account{uid: uid, gid: gid, home: f[5]}
	}
	return accts
}

// generateKeys makes one ed25519 key pair per user in a private
// directory and returns it; the private key is named after the user.
func generateKeys(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, u := range applianceKeyUsers {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", u+"@workstation", "-f", filepath.Join(dir, u)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	return dir
}

// installKeys gives each key user of the tree at dir its public key, as
// ssh-copy-id would.
func installKeys(t *testing.T, dir, keys string) {
	t.Helper()
	accts := treeAccounts(t, dir)
	for _, u := range applianceKeyUsers {
		a, ok := accts[u]
		if !ok {
			t.Fatalf("appliance tree has no account %s (rebuild it with scripts/fixture-appliance.sh)", u)
		}
		pub, err := os.ReadFile(filepath.Join(keys, u+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		sshDir := filepath.Join(dir, a.home, ".ssh")
		ak := filepath.Join(sshDir, "authorized_keys")
		if err := os.Mkdir(sshDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ak, pub, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{sshDir, ak} {
			if err := os.Lchown(p, a.uid, a.gid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// keyFingerprint is the SHA256:… fingerprint sshd logs for a public key.
func keyFingerprint(t *testing.T, pubFile string) string {
	t.Helper()
	data, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		t.Fatalf("%s: not a public key", pubFile)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// login is one remote login to record in the logs.
type login struct {
	user, from, line string
	ago              time.Duration
}

// applianceLogins are the remote logins of the last days, oldest first
// (as wtmp grows).
var applianceLogins = []login{
	{"admin", "192.0.2.10", "pts/0", 9 * 24 * time.Hour},
	{"cloud", "198.51.100.7", "pts/1", 5 * 24 * time.Hour},
	{"admin", "192.0.2.10", "pts/0", 2*24*time.Hour + 3*time.Hour},
	{"ops", "192.0.2.20", "pts/2", 26 * time.Hour},
}

// logEntry is one syslog message of the appliance's recent use.
type logEntry struct {
	at       time.Time
	facility string // syslog facility: auth and authpriv go to auth.log, cron to cron.log
	tag      string
	pid      int // 0: the message carries none (sudo's)
	msg      string
}

// usageLog is what the last days of use logged, oldest first: the
// administrators' key logins and sudo use, the ops cron job's `sudo -n`,
// the nightly `su - postgres`.
func usageLog(t *testing.T, dir, keys string, now time.Time) []logEntry {
	t.Helper()
	accts := treeAccounts(t, dir)
	var log []logEntry
	pid := 4100
	add := func(at time.Time, facility, tag string, pid int, format string, args ...any) {
		log = append(log, logEntry{at, facility, tag, pid, fmt.Sprintf(format, args...)})
	}
	for _, l := range applianceLogins {
		pid++
		at := now.Add(-l.ago)
		uid := accts[l.user].uid
		add(at, "auth", "sshd", pid, "Accepted publickey for %s from %s port %d ssh2: ED25519 %s", l.user, l.from, 40000+pid, keyFingerprint(t, filepath.Join(keys, l.user+".pub")))
		add(at, "authpriv", "sshd", pid, "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", l.user, uid)
		switch l.user {
		case "admin":
			add(at.Add(40*time.Second), "authpriv", "sudo", 0, "   admin : TTY=%s ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/apt-get upgrade", l.line)
			add(at.Add(40*time.Second), "authpriv", "sudo", 0, "pam_unix(sudo:session): session opened for user root(uid=0) by admin(uid=%d)", uid)
		case "cloud":
			add(at.Add(20*time.Second), "authpriv", "sudo", 0, "   cloud : TTY=%s ; PWD=/home/cloud ; USER=root ; COMMAND=/usr/bin/journalctl -u nginx", l.line)
		}
	}
	opsUID, pgUID := accts["ops"].uid, accts["postgres"].uid
	for day := 6; day >= 1; day-- {
		midnight := now.Truncate(24*time.Hour).AddDate(0, 0, -day)
		pid++
		at := midnight.Add(4*time.Hour + 15*time.Minute)
		add(at, "authpriv", "CRON", pid, "pam_unix(cron:session): session opened for user ops(uid=%d) by (uid=0)", opsUID)
		add(at, "cron", "CRON", pid, "(ops) CMD (sudo -n /usr/bin/systemctl restart nginx)")
		add(at.Add(time.Second), "authpriv", "sudo", 0, "     ops : PWD=/home/ops ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx")
		pid++
		at = midnight.Add(2*time.Hour + 30*time.Minute)
		add(at, "cron", "CRON", pid, "(root) CMD (/usr/local/sbin/pg-nightly)")
		pid++
		add(at.Add(time.Second), "auth", "su", pid, "(to postgres) root on none")
		add(at.Add(time.Second), "authpriv", "su", pid, "pam_unix(su-l:session): session opened for user postgres(uid=%d) by (uid=0)", pgUID)
	}
	slices.SortStableFunc(log, func(a, b logEntry) int { return a.at.Compare(b.at) })
	return log
}

// writeLogs gives the tree at dir the logs of its recent use, dated
// relative to now (the preflight looks 30 days back): auth.log and
// cron.log as Debian 12's rsyslog writes them (RFC 3339 timestamps), and
// the logins in wtmp and lastlog.
func writeLogs(t *testing.T, dir, keys string, now time.Time) {
	t.Helper()
	accts := treeAccounts(t, dir)
	hostBytes, _ := os.ReadFile(filepath.Join(dir, "etc", "hostname"))
	host := strings.TrimSpace(string(hostBytes))
	if host == "" {
		host = "appliance"
	}
	var auth, cron bytes.Buffer
	for _, e := range usageLog(t, dir, keys, now) {
		w := &auth
		if e.facility == "cron" {
			w = &cron
		}
		tag := e.tag
		if e.pid != 0 {
			tag = fmt.Sprintf("%s[%d]", e.tag, e.pid)
		}
		fmt.Fprintf(w, "%s %s %s: %s\n", e.at.UTC().Format("2006-01-02T15:04:05.000000-07:00"), host, tag, e.msg)
	}
	adm := groupID(t, dir, "adm")
	writeOwned(t, filepath.Join(dir, "var/log/auth.log"), auth.Bytes(), 0o640, 0, adm)
	writeOwned(t, filepath.Join(dir, "var/log/cron.log"), cron.Bytes(), 0o640, 0, adm)

	var wtmp bytes.Buffer
	last := map[int]login{}
	for i, l := range applianceLogins {
		wtmp.Write(utmpRecord(t, l, 4000+i, now.Add(-l.ago)))
		last[accts[l.user].uid] = l
	}
	utmpGID := groupID(t, dir, "utmp")
	writeOwned(t, filepath.Join(dir, "var/log/wtmp"), wtmp.Bytes(), 0o664, 0, utmpGID)
	writeOwned(t, filepath.Join(dir, "var/log/lastlog"), lastlogFile(last, now), 0o664, 0, utmpGID)
}

// writeJournal gives the tree at dir its recent use in a persistent
// systemd journal, written by the tree's own journald
// (testdata/appliance/journal.sh); the entries carry the time they were
// written, not the time in usageLog.
func writeJournal(t *testing.T, dir, keys string, now time.Time) {
	t.Helper()
	var msgs strings.Builder
	for _, e := range usageLog(t, dir, keys, now) {
		fmt.Fprintf(&msgs, "%s %s %d %s\n", e.facility, e.tag, e.pid, strings.TrimSpace(e.msg))
	}
	script, err := filepath.Abs(filepath.Join("testdata", "appliance", "journal.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--kill-child", "bash", script, dir)
	cmd.Stdin = strings.NewReader(msgs.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("journal.sh: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "var/log/journal/*/system*.journal"))
	if len(files) == 0 {
		t.Fatal("journal.sh wrote no journal file under /var/log/journal")
	}
}

func writeOwned(t *testing.T, path string, data []byte, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func groupID(t *testing.T, dir, name string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "etc", "group"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		g := strings.Split(sc.Text(), ":")
		if len(g) >= 3 && g[0] == name {
			id, err := strconv.Atoi(g[2])
			if err == nil {
				return id
			}
		}
	}
	t.Fatalf("tree has no group %s", name)
	return 0
}

// utmpRecord is glibc's struct utmp on 64-bit Linux (384 bytes, little
// endian): a USER_PROCESS entry as sshd writes it.
func utmpRecord(t *testing.T, l login, pid int, at time.Time) []byte {
	t.Helper()
	rec := make([]byte, 384)
	le := binary.LittleEndian
	le.PutUint16(rec[0:], 7) // USER_PROCESS
	le.PutUint32(rec[4:], uint32(pid))
	copy(rec[8:40], l.line)
	copy(rec[40:44], strings.TrimPrefix(l.line, "pt"))
	copy(rec[44:76], l.user)
	copy(rec[76:332], l.from)
	le.PutUint32(rec[340:], uint32(at.Unix()))
	addr, err := netip.ParseAddr(l.from)
	if err != nil {
		t.Fatal(err)
	}
	a4 := addr.As4()
	copy(rec[348:352], a4[:])
	return rec
}

// lastlogFile is /var/log/lastlog: one 292-byte record per uid at offset
// uid*292 (time int32, line[32], host[256]).
func lastlogFile(last map[int]login, now time.Time) []byte {
	maxUID := 0
	for uid := range last {
		maxUID = max(maxUID, uid)
	}
	out := make([]byte, (maxUID+1)*292)
	for uid, l := range last {
		rec := out[uid*292 : (uid+1)*292]
		binary.LittleEndian.PutUint32(rec, uint32(now.Add(-l.ago).Unix()))
		copy(rec[4:36], l.line)
		copy(rec[36:], l.from)
	}
	return out
}
