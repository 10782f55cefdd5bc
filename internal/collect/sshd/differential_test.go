package sshd_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// The differential test writes seeded random server configurations (a
// main file, Include'd drop-ins with globs, Match blocks on every
// criterion with negations, aliases, mixed-case keywords, quoted values,
// "=" separators) into a sandbox of the Debian fixture and compares, for
// every generated keyword and several connections, cradle's effective
// value with what the fixture's own `sshd -T -C …` prints. Cases are
// reproducible: CRADLE_SSHD_DIFF_SEED picks the seed (printed on
// failure), CRADLE_SSHD_DIFF_CASES the number of configurations.

const defaultDiffSeed = 20261205

type kwSpec struct {
	name   string   // canonical keyword
	spell  []string // other accepted spellings (aliases)
	vals   []string // valid values as written
	global bool     // not allowed in a Match block
}

var diffKeywords = []kwSpec{
	{name: "PasswordAuthentication", vals: []string{"yes", "no", "YES", "No"}},
	{name: "PubkeyAuthentication", vals: []string{"yes", "no"}},
	{name: "KbdInteractiveAuthentication", spell: []string{"ChallengeResponseAuthentication", "SkeyAuthentication"}, vals: []string{"yes", "no"}},
	{name: "PermitEmptyPasswords", vals: []string{"yes", "no"}},
	{name: "PermitRootLogin", vals: []string{"yes", "no", "prohibit-password", "without-password", "forced-commands-only"}},
	{name: "X11Forwarding", vals: []string{"yes", "no"}},
	{name: "AllowAgentForwarding", vals: []string{"yes", "no"}},
	{name: "AllowTcpForwarding", vals: []string{"yes", "no", "all", "local", "remote"}},
	{name: "AllowStreamLocalForwarding", vals: []string{"yes", "no", "all", "local", "remote"}},
	{name: "DisableForwarding", vals: []string{"yes", "no"}},
	{name: "GatewayPorts", vals: []string{"yes", "no", "clientspecified"}},
	{name: "HostbasedAuthentication", vals: []string{"yes", "no"}},
	{name: "IgnoreRhosts", vals: []string{"yes", "no", "shosts-only"}},
	{name: "PermitTTY", vals: []string{"yes", "no"}},
	{name: "PermitUserRC", vals: []string{"yes", "no"}},
	{name: "ExposeAuthInfo", vals: []string{"yes", "no"}},
	{name: "MaxAuthTries", vals: []string{"3", "4", "6", "10"}},
	{name: "MaxSessions", vals: []string{"2", "10", "0"}},
	{name: "ClientAliveInterval", vals: []string{"0", "300", "5m", "1h", "90s", "1m30s"}},
	{name: "ClientAliveCountMax", vals: []string{"0", "1", "3"}},
	{name: "LogLevel", vals: []string{"INFO", "verbose", "Error", "QUIET", "DEBUG2"}},
	{name: "Banner", vals: []string{"none", "/etc/issue.net", `"/etc/issue net"`}},
	{name: "PermitTunnel", vals: []string{"yes", "no", "point-to-point", "ethernet"}},
	{name: "RekeyLimit", vals: []string{"default none", "1G 1h", "512M", "64K 30m", "default 2h"}},
	{name: "AuthenticationMethods", vals: []string{"any", "publickey", "publickey,password", "publickey,password publickey,keyboard-interactive"}},
	{name: "AuthorizedKeysFile", vals: []string{".ssh/authorized_keys", ".ssh/authorized_keys .ssh/authorized_keys2", "/etc/ssh/keys/%u", `".ssh/my keys"`}},
	{name: "AllowUsers", vals: []string{"alice", "alice bob", "root@10.0.0.0/8", "ad*", "www-data", "bob@*.corp"}},
	{name: "PermitOpen", vals: []string{"any", "none", "localhost:8080 10.0.0.1:443"}},
	{name: "SetEnv", vals: []string{"A=1", "A=1 B=2", `"GREETING=hello world"`}},
	{name: "DenyUsers", vals: []string{"bob", "guest*", "root"}},
	{name: "AllowGroups", vals: []string{"staff", "sshusers wheel", "adm"}},
	{name: "DenyGroups", vals: []string{"nogroup", "sftponly"}},
	{name: "AcceptEnv", vals: []string{"LANG LC_*", "TZ", "EDITOR"}},
	{name: "ChrootDirectory", vals: []string{"none", "/srv/chroot/%u"}},
	{name: "X11DisplayOffset", vals: []string{"10", "20"}},
	{name: "PubkeyAcceptedAlgorithms", spell: []string{"PubkeyAcceptedKeyTypes"}, vals: []string{"ssh-ed25519,rsa-sha2-512", "-ssh-rsa*", "-*nistp*", "^ssh-ed25519"}},
	{name: "PrintLastLog", vals: []string{"yes", "no"}, global: true},
	{name: "PrintMotd", vals: []string{"yes", "no"}, global: true},
	{name: "UseDNS", vals: []string{"yes", "no"}, global: true},
	{name: "StrictModes", vals: []string{"yes", "no"}, global: true},
	{name: "Compression", vals: []string{"yes", "no", "delayed"}, global: true},
	{name: "TCPKeepAlive", spell: []string{"KeepAlive"}, vals: []string{"yes", "no"}, global: true},
	{name: "PermitUserEnvironment", vals: []string{"yes", "no"}, global: true},
	{name: "LoginGraceTime", vals: []string{"60", "2m", "30s", "0"}, global: true},
	{name: "MaxStartups", vals: []string{"10:30:100", "3:50:10", "10:30:60"}, global: true},
	{name: "SyslogFacility", vals: []string{"AUTH", "authpriv", "LOCAL0"}, global: true},
	{name: "UsePAM", vals: []string{"yes", "no"}, global: true},
	{name: "Port", vals: []string{"22", "2222"}, global: true},
	{name: "Ciphers", vals: []string{"aes256-gcm@openssh.com,aes128-ctr", "-*-cbc", "-chacha20*", "^aes256-ctr"}, global: true},
	{name: "MACs", vals: []string{"hmac-sha2-512-etm@openssh.com,hmac-sha2-256", "-*sha1*", "-umac-*"}, global: true},
	{name: "KexAlgorithms", vals: []string{"curve25519-sha256,diffie-hellman-group16-sha512", "-*sha1", "-ecdh-*", "^curve25519-sha256"}, global: true},
	{name: "PubkeyAuthentication", spell: []string{"DSAAuthentication"}, vals: []string{"yes", "no"}, global: true},
}

// deprecatedLines are accepted and ignored by sshd.
var deprecatedLines = []string{"Protocol 2", "RSAAuthentication no", "UseLogin no", "RhostsRSAAuthentication no", "UsePrivilegeSeparation sandbox"}

type diffConn struct{ user, host, addr, laddr string }

var diffConns = []diffConn{
	{"root", "gw.example.com", "192.168.1.10", "10.0.0.1"},
	{"alice", "Laptop.Example.ORG", "10.1.2.3", "10.0.0.1"},
	{"bob", "bastion.corp", "2001:db8::5", "2001:db8::1"},
	{"carol", "unknown", "172.16.5.4", "192.168.1.1"},
	{"www-data", "web1.example.com", "10.9.9.9", "10.0.0.2"},
}

var diffPorts = []int{22, 2222}

// criteria are Match conditions covering every criterion, negations
// (alone a negation never matches), wildcards, case and CIDR.
var diffCriteria = [][]string{
	{"User", "alice"}, {"user", "al*"}, {"User", "!root,*"}, {"USER", "root,bob"}, {"User", "!alice"},
	{"Group", "staff"}, {"Group", "!sftponly,*"}, {"group", "adm*"}, {"Group", "sftponly"}, {"Group", "wheel,!staff"},
	{"Host", "*.example.com"}, {"Host", "LAPTOP.*"}, {"host", "!gw.*,*"},
	{"Address", "192.168.1.0/24"}, {"Address", "10.*"}, {"Address", "!10.1.2.3,10.0.0.0/8"}, {"Address", "2001:db8::/32"}, {"address", "172.16.5.?"},
	{"LocalAddress", "10.0.0.1"}, {"LocalAddress", "!10.0.0.1,*"}, {"LocalAddress", "2001:db8::/64"},
	{"LocalPort", "22"}, {"LocalPort", "2222"},
	{"User=alice"}, {"Group", `"staff"`}, {"Address", "10.0.0.0/8,!10.1.0.0/16"},
}

type diffCase struct {
	dir   string            // etc/ssh/cN
	files map[string]string // root-relative path → content
}

type gen struct {
	r   *rand.Rand
	dir string
}

func (g *gen) pick(l []string) string { return l[g.r.IntN(len(l))] }

// spell writes a keyword in a random case or as an alias.
func (g *gen) spell(k kwSpec) string {
	s := k.name
	if len(k.spell) > 0 && g.r.IntN(3) == 0 {
		s = g.pick(k.spell)
	}
	switch g.r.IntN(4) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s)
	case 2:
		b := []byte(s)
		for i := range b {
			if g.r.IntN(2) == 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			} else {
				b[i] = strings.ToLower(string(b[i]))[0]
			}
		}
		return string(b)
	}
	return s
}

func (g *gen) line(k kwSpec, indent string) string {
	v := g.pick(k.vals)
	if !strings.ContainsAny(v, " \"") && g.r.IntN(6) == 0 {
		v = `"` + v + `"`
	}
	sep := g.pick([]string{" ", " ", "\t", "=", " = "})
	l := indent + g.spell(k) + sep + v
	if g.r.IntN(8) == 0 {
		l += " # note"
	}
	return l + "\n"
}

func (g *gen) directive(inMatch bool, indent string) string {
	for {
		k := diffKeywords[g.r.IntN(len(diffKeywords))]
		if k.global && inMatch {
			continue
		}
		if !inMatch && g.r.IntN(25) == 0 {
			return indent + g.pick(deprecatedLines) + "\n"
		}
		return g.line(k, indent)
	}
}

func (g *gen) match() string {
	if g.r.IntN(7) == 0 {
		return g.pick([]string{"Match all", "match All", "Match all # everyone"}) + "\n"
	}
	n := 1 + g.r.IntN(2)
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, diffCriteria[g.r.IntN(len(diffCriteria))]...)
	}
	kw := g.pick([]string{"Match", "match", "MATCH"})
	return kw + " " + strings.Join(parts, " ") + "\n"
}

// body writes directives and Match blocks; includes adds Include lines.
func (g *gen) body(b *strings.Builder, n int, includes []string) {
	inMatch := false
	for i := 0; i < n; i++ {
		switch x := g.r.IntN(10); {
		case x == 0 && len(includes) > 0:
			indent := ""
			if inMatch {
				indent = "  "
			}
			b.WriteString(indent + g.pick([]string{"Include", "include", "INCLUDE"}) + " " + g.pick(includes) + "\n")
		case x == 1:
			b.WriteString(g.match())
			inMatch = true
		case x == 2:
			b.WriteString(g.pick([]string{"\n", "# comment\n", "   \n", "#PermitRootLogin yes\n"}))
		case x == 3 && g.r.IntN(40) == 0:
			// Lines sshd refuses: cradle must report a problem.
			b.WriteString(g.pick([]string{"PermitRootLogn no\n", "Match Usr alice\n", "Match all User root\n", "Match Address 10.0.0.1/8\n", "Match LocalPort http\n"}))
		default:
			indent := ""
			if inMatch {
				indent = g.pick([]string{"  ", "\t", ""})
			}
			b.WriteString(g.directive(inMatch, indent))
		}
	}
}

func (g *gen) newCase(i int) diffCase {
	dir := "etc/ssh/c" + strconv.Itoa(i)
	c := diffCase{dir: dir, files: map[string]string{}}
	rel := "c" + strconv.Itoa(i)
	abs := "/" + dir
	includes := []string{
		rel + "/d/*.conf",
		abs + "/d/*.conf",
		abs + "/d/[0-4]*.conf " + abs + "/d/[5-9]*.conf",
		abs + "/d/?0-*.conf",
		rel + "/missing-*.conf",
		rel + "/extra.conf",
	}
	names := []string{"10-a.conf", "20-b.conf", "5-c.conf", "90-z.conf", ".hidden.conf", "30-x.conf.bak", "40-nested.conf"}
	for _, name := range names {
		if g.r.IntN(4) == 0 {
			continue
		}
		var b strings.Builder
		inc := []string(nil)
		if name == "40-nested.conf" {
			inc = []string{rel + "/nested/*.conf"}
		}
		g.body(&b, 2+g.r.IntN(6), inc)
		c.files[dir+"/d/"+name] = b.String()
	}
	for _, name := range []string{"extra.conf", "nested/1.conf"} {
		var b strings.Builder
		g.body(&b, 1+g.r.IntN(4), nil)
		c.files[dir+"/"+name] = b.String()
	}
	var b strings.Builder
	if g.r.IntN(3) > 0 {
		b.WriteString("Include " + includes[g.r.IntN(4)] + "\n")
	}
	g.body(&b, 4+g.r.IntN(14), includes)
	c.files[dir+"/sshd_config"] = b.String()
	return c
}

// sshdValue formats cradle's value as `sshd -T` prints it: one entry
// per output line of the keyword.
func sshdValue(k string, v sshd.Value) []string {
	if !v.Known || len(v.Args) == 0 {
		return nil
	}
	switch k {
	case "AllowUsers", "DenyUsers", "AllowGroups", "DenyGroups", "AcceptEnv", "SetEnv", "Port":
		return v.Args
	}
	first := v.Args[0]
	switch k {
	case "PermitRootLogin":
		if strings.EqualFold(first, "prohibit-password") {
			return []string{"without-password"}
		}
	case "AllowTcpForwarding", "AllowStreamLocalForwarding":
		if strings.EqualFold(first, "all") {
			return []string{"yes"}
		}
	case "Compression":
		if strings.EqualFold(first, "delayed") {
			return []string{"yes"}
		}
	case "ClientAliveInterval", "LoginGraceTime":
		n, err := sshd.ParseTime(first)
		if err != nil {
			return []string{"unparsable " + first}
		}
		return []string{strconv.FormatInt(n, 10)}
	case "LogLevel", "SyslogFacility":
		u := strings.ToUpper(first)
		switch u {
		case "DEBUG1":
			u = "DEBUG"
		case "QUIET":
			u = "SILENT" // log.c log_levels[]: the first name of the level
		}
		return []string{u}
	case "RekeyLimit":
		return []string{rekeyLimit(v.Args)}
	case "AuthenticationMethods", "AuthorizedKeysFile":
		return []string{strings.Join(v.Args, " ")}
	}
	if len(v.Args) == 1 && sshd.Known(k) && isWord(first) {
		return []string{strings.ToLower(first)}
	}
	return []string{strings.Join(v.Args, " ")}
}

func isWord(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return s != ""
}

// rekeyLimit renders RekeyLimit as sshd -T does: bytes and seconds.
func rekeyLimit(args []string) string {
	size := int64(0)
	if a := strings.ToUpper(args[0]); a != "DEFAULT" {
		mult := int64(1)
		switch a[len(a)-1] {
		case 'K':
			mult, a = 1<<10, a[:len(a)-1]
		case 'M':
			mult, a = 1<<20, a[:len(a)-1]
		case 'G':
			mult, a = 1<<30, a[:len(a)-1]
		}
		n, _ := strconv.ParseInt(a, 10, 64)
		size = n * mult
	}
	secs := int64(0)
	if len(args) > 1 && !strings.EqualFold(args[1], "none") && !strings.EqualFold(args[1], "default") {
		secs, _ = sshd.ParseTime(args[1])
	}
	return strconv.FormatInt(size, 10) + " " + strconv.FormatInt(secs, 10)
}

func parseDump(out []byte) map[string][]string {
	m := map[string][]string{}
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, " ")
		if ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

func envInt(t *testing.T, name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

func TestDifferentialSSHD(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/sbin/sshd") {
		targettest.Missing(t, "the fixture has no sshd")
	}
	seed := uint64(envInt(t, "CRADLE_SSHD_DIFF_SEED", defaultDiffSeed))
	n := int(envInt(t, "CRADLE_SSHD_DIFF_CASES", 24))
	t.Logf("seed %d (CRADLE_SSHD_DIFF_SEED), %d configurations (CRADLE_SSHD_DIFF_CASES)", seed, n)
	s.Mkdir(t, "run/sshd", 0o755)
	addAccounts(t, s)

	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	cases := make([]diffCase, n)
	for i := range cases {
		cases[i] = g.newCase(i)
		for p, body := range cases[i].files {
			s.Write(t, p, body, 0o644)
		}
	}
	// Connections per case: a fixed rotation over users and ports, so
	// every case is checked against three users.
	type run struct {
		c    int
		conn diffConn
		port int
		out  []byte
		err  error
		msg  []byte
	}
	var runs []*run
	for i := range cases {
		for j := 0; j < 3; j++ {
			runs = append(runs, &run{c: i, conn: diffConns[(i+j)%len(diffConns)], port: diffPorts[(i+j)%len(diffPorts)]})
		}
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	work := make(chan *run)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				spec := fmt.Sprintf("user=%s,host=%s,addr=%s,laddr=%s,lport=%d", r.conn.user, r.conn.host, r.conn.addr, r.conn.laddr, r.port)
				r.out, r.msg, r.err = s.Run(ctx, "sshd", "-T", "-f", "/"+cases[r.c].dir+"/sshd_config", "-C", spec)
			}
		}()
	}
	for _, r := range runs {
		work <- r
	}
	close(work)
	wg.Wait()

	tgt, err := target.OpenRootFS(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	db, err := accounts.Collect(ctx, tgt)
	if err != nil {
		t.Fatal(err)
	}
	cfgs := make([]*sshd.Config, n)
	for i, c := range cases {
		if cfgs[i], err = sshd.CollectFile(ctx, tgt, c.dir+"/sshd_config"); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	compared, agreed, rejected, reported := 0, 0, 0, 0
	// Report the first divergence of each kind in full, count the rest.
	kinds := map[string]int{}
	for _, r := range runs {
		cfg := cfgs[r.c]
		conn := sshd.ConnFor(db, r.conn.user, r.conn.host, r.conn.addr, r.conn.laddr, r.port)
		problems := cfg.ProblemsFor(conn)
		fail := func(kind, format string, args ...any) {
			if kinds[kind] == 0 {
				t.Errorf("seed %d case %d (%s, lport %d): %s\n%s", seed, r.c, r.conn.user, r.port, fmt.Sprintf(format, args...), dumpCase(cases[r.c]))
			}
			kinds[kind]++
			reported++
		}
		compared++
		if r.err != nil {
			if os.Getenv("CRADLE_SSHD_DIFF_VERBOSE") != "" {
				t.Logf("case %d %s: rejected: %s; cradle: %q", r.c, r.conn.user, r.msg, problems)
			}
			rejected++
			if len(problems) == 0 {
				fail("rejected", "sshd rejects the configuration (%v: %s); cradle found no problem", r.err, r.msg)
				continue
			}
			agreed++
			continue
		}
		if len(problems) > 0 {
			fail("accepted", "sshd accepts the configuration; cradle reports %q", problems)
			continue
		}
		agreed++
		dump := parseDump(r.out)
		seen := map[string]bool{}
		for _, k := range diffKeywords {
			if seen[k.name] {
				continue
			}
			seen[k.name] = true
			compared++
			want := dump[strings.ToLower(k.name)]
			got := sshdValue(k.name, cfg.EffectiveFor(k.name, conn))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				fail(k.name, "%s: cradle %q, sshd -T %q", k.name, got, want)
				continue
			}
			agreed++
		}
	}
	t.Logf("%d configurations, %d sshd -T runs (%d rejected by sshd), %d comparisons, %d agree", n, len(runs), rejected, compared, agreed)
	if reported > 0 {
		t.Errorf("seed %d: %d of %d comparisons disagree with sshd -T (rerun with CRADLE_SSHD_DIFF_SEED=%d): %v", seed, reported, compared, seed, kinds)
	}
}

// addAccounts gives the sandbox users and groups the Match User and Group
// criteria select: alice in staff and wheel, bob in sftponly; carol does
// not exist.
func addAccounts(t *testing.T, s *targettest.Sandbox) {
	t.Helper()
	read := func(p string) string {
		b, err := os.ReadFile(s.Root + "/" + p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	passwd := read("etc/passwd") + "alice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\n"
	group := strings.Replace(read("etc/group"), "\nstaff:x:50:\n", "\nstaff:x:50:alice\n", 1) +
		"alice:x:1001:\nbob:x:1002:\nwheel:x:1010:alice\nsftponly:x:1011:bob\n"
	s.Write(t, "etc/passwd", passwd, 0o644)
	s.Write(t, "etc/group", group, 0o644)
}

func dumpCase(c diffCase) string {
	var paths []string
	for p := range c.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&b, "--- /%s\n%s", p, c.files[p])
	}
	return b.String()
}
