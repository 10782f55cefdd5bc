package firewall

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestIptablesDifferential compares ParseIptables with iptables-restore
// on seeded random rule files: each is restored in a throwaway network
// namespace and saved back with iptables-save; cradle must refuse exactly
// the files iptables-restore refuses, and derive the same verdicts from
// the file as from the saved ruleset. Needs root, unshare and
// iptables-restore; CRADLE_IPT_SEED overrides the seed.
func TestIptablesDifferential(t *testing.T) {
	restore, err := exec.LookPath("iptables-restore")
	if err != nil || os.Geteuid() != 0 {
		targettest.Missing(t, "needs root and iptables-restore")
	}
	if out, err := exec.Command("unshare", "--net", "iptables-save").CombinedOutput(); err != nil {
		targettest.Missing(t, "cannot run iptables in a new network namespace: %v: %s", err, out)
	}
	seed := uint64(20261205)
	if s := os.Getenv("CRADLE_IPT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	refused := 0
	const n = 60
	for i := range n {
		src := genIptables(rng)
		f := filepath.Join(t.TempDir(), "rules.v4")
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		saved, iptErr := exec.Command("unshare", "--net", "sh", "-c", `"$0" < "$1" && iptables-save`, restore, f).Output()
		got := &Ruleset{}
		cerr := ParseIptables(got, []byte(src), "/etc/iptables/rules.v4", "ip", Iptables, false)
		if (iptErr != nil) != (cerr != nil) {
			t.Fatalf("seed %d case %d: iptables-restore error %v, cradle error %v\n%s", seed, i, iptErr, cerr, src)
		}
		if iptErr != nil {
			refused++
			continue
		}
		want := &Ruleset{}
		if err := ParseIptables(want, saved, "iptables-save", "ip", Iptables, false); err != nil {
			t.Fatalf("seed %d case %d: parse iptables-save output: %v\n%s", seed, i, err, saved)
		}
		if g, w := signature(noOpChains(got)), signature(noOpChains(want)); g != w {
			t.Fatalf("seed %d case %d:\ncradle %s\nsaved  %s\n%s\n--- iptables-save\n%s", seed, i, g, w, src, saved)
		}
	}
	t.Logf("seed %d: %d cases, %d refused by iptables-restore and cradle alike", seed, n, refused)
}

// noOpChains drops built-in chains that accept everything: iptables-save
// lists every built-in chain, a file need not declare them.
func noOpChains(rs *Ruleset) *Ruleset {
	out := &Ruleset{}
	for _, c := range rs.Chains {
		if c.Hook != "" && len(c.Rules) == 0 && (c.Policy == "" || c.Policy == Accept) {
			continue
		}
		out.Chains = append(out.Chains, c)
	}
	return out
}

func genIptables(rng *rand.Rand) string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	rules := []string{
		"-i lo -j ACCEPT", "-s 127.0.0.0/8 ! -i lo -j DROP", "! -i lo -s 127.0.0.0/8 -j DROP",
		"-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-m state --state ESTABLISHED -j ACCEPT",
		"-p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m multiport --dports 22,80 -j ACCEPT", "-p tcp --dport 443 -j ACCEPT",
		`-p tcp --dport 80 -m comment --comment "web \"front\"" -j ACCEPT`, "-j DROP", "-j REJECT --reject-with icmp-host-prohibited",
		"-j svc", "-p tcp -j svc", "-j LOG --log-prefix \"in: \"", "-s 192.0.2.0/24 -j ACCEPT", "-p udp --dport 53 -j ACCEPT",
		"-p tcp --dport 1000:2000 -j ACCEPT", "-j ACCEPT",
	}
	var b strings.Builder
	b.WriteString("# generated\n")
	if rng.IntN(3) == 0 {
		b.WriteString("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80\nCOMMIT\n")
	}
	b.WriteString("*filter\n")
	for _, c := range []string{"INPUT", "FORWARD", "OUTPUT"} {
		if rng.IntN(4) != 0 {
			fmt.Fprintf(&b, ":%s %s [0:0]\n", c, pick("ACCEPT", "DROP"))
		}
	}
	declared := rng.IntN(6) != 0
	if declared {
		b.WriteString(":svc - [0:0]\n")
		for range rng.IntN(3) {
			fmt.Fprintf(&b, "-A svc %s\n", pick("-p tcp --dport 80 -j ACCEPT", "-j RETURN", "-j DROP", "-i lo -j ACCEPT"))
		}
	}
	for range 1 + rng.IntN(6) {
		chain := pick("INPUT", "INPUT", "FORWARD")
		op := pick("-A", "-A", "-I")
		fmt.Fprintf(&b, "%s %s %s\n", op, chain, pick(rules...))
	}
	if rng.IntN(8) == 0 {
		b.WriteString("-A nosuch -j ACCEPT\n")
	}
	if rng.IntN(8) != 0 {
		b.WriteString("COMMIT\n")
	}
	return b.String()
}
