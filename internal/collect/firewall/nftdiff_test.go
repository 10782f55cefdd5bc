package firewall

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestNftDifferential compares the collector with nft itself on seeded
// random configurations: each is loaded with `nft -f` in a throwaway
// network namespace (so the host's ruleset is never touched) and listed
// back with `nft list ruleset`; the verdicts cradle derives from the
// configuration files (includes, defines, flush, add/insert commands,
// dormant tables) must equal those it derives from nft's own listing, and
// cradle must refuse exactly the configurations nft refuses. Needs root,
// unshare and nft; CRADLE_NFT_SEED overrides the seed, CRADLE_NFT_CASES
// the number of cases.
func TestNftDifferential(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil || os.Geteuid() != 0 {
		targettest.Missing(t, "needs root and nft")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		targettest.Missing(t, "needs unshare")
	}
	if out, err := exec.Command("unshare", "--net", nft, "list", "ruleset").CombinedOutput(); err != nil {
		targettest.Missing(t, "cannot run nft in a new network namespace: %v: %s", err, out)
	}
	seed := uint64(20261205)
	if s := os.Getenv("CRADLE_NFT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	n := 60
	if s := os.Getenv("CRADLE_NFT_CASES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	refused := 0
	for i := range n {
		files := genNft(rng)
		dir := t.TempDir()
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			// nft reads the copy whose includes point into dir.
			if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "@ETC@", filepath.Join(dir, "etc"))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("unshare", "--net", "sh", "-c", `"$0" -f "$1" && "$0" list ruleset`, nft, filepath.Join(dir, "etc/nftables.conf"))
		listing, nftErr := cmd.Output()

		// cradle reads the same files as a root filesystem.
		tree := t.TempDir()
		for name, body := range files {
			p := filepath.Join(tree, filepath.FromSlash(name))
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "@ETC@", "/etc")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		tg, err := target.OpenRootFS(tree)
		if err != nil {
			t.Fatal(err)
		}
		m := Manager{Enabled: []string{"nftables.service"}}
		rs := &Ruleset{}
		problems, err := readNft(tg, rs, &m)
		tg.Close()
		if err != nil {
			t.Fatal(err)
		}
		show := func() string {
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(files)) {
				fmt.Fprintf(&b, "--- %s\n%s", k, files[k])
			}
			return b.String()
		}
		if (nftErr != nil) != (len(problems) > 0) {
			t.Fatalf("seed %d case %d: nft error %v, cradle problems %v\n%s", seed, i, nftErr, problems, show())
		}
		if nftErr != nil {
			refused++
			continue
		}
		want, err := ParseNft(listing, "nft list ruleset")
		if err != nil {
			t.Fatalf("seed %d case %d: parse nft's listing: %v\n%s", seed, i, err, listing)
		}
		if got, exp := signature(rs), signature(want); got != exp {
			t.Fatalf("seed %d case %d:\ncradle %s\nnft    %s\n%s\n--- nft list ruleset\n%s", seed, i, got, exp, show(), listing)
		}
	}
	t.Logf("seed %d: %d cases, %d refused by nft and cradle alike", seed, n, refused)
}

// signature summarises what the checks read from a ruleset.
func signature(rs *Ruleset) string {
	var out []string
	for _, hook := range []string{"input", "forward"} {
		for _, fam := range []string{IPv4, IPv6} {
			var cs []string
			for _, c := range rs.BaseChains(hook, fam) {
				steps, final, _ := rs.Walk(c, fam)
				var lo, est, spoof bool
				var ports []string
				for _, st := range steps {
					lo = lo || st.Rule.IsLoopbackAccept()
					est = est || st.Rule.IsEstablishedAccept()
					spoof = spoof || st.Rule.IsSpoofDrop(fam)
					for _, p := range []uint16{22, 80, 443} {
						if st.Rule.AllowsPort("tcp", p) && !slices.Contains(ports, strconv.Itoa(int(p))) {
							ports = append(ports, strconv.Itoa(int(p)))
						}
					}
				}
				slices.Sort(ports)
				cs = append(cs, fmt.Sprintf("%s %s %s/lo=%v/est=%v/spoof=%v/ports=%s", c.Family, c.Table, final, lo, est, spoof, strings.Join(ports, ",")))
			}
			slices.Sort(cs)
			out = append(out, hook+"/"+fam+"["+strings.Join(cs, "; ")+"]")
		}
	}
	return strings.Join(out, " ")
}

// genNft builds a configuration with the traps the parser must get
// right: families, policies set in several ways, final drops, jumps,
// defines, anonymous sets, includes (glob and plain, missing ones),
// flush ruleset before or after the tables, add/insert commands, dormant
// tables and rules for chains that do not exist.
func genNft(rng *rand.Rand) map[string]string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	rules := []string{
		"iif lo accept", `iifname "lo" accept`, "meta iif lo accept",
		"ct state established,related accept", "ct state { established, related } accept", "ct state invalid drop",
		"tcp dport 22 accept", "tcp dport { 22, 80 } accept", "tcp dport $PORTS accept", "meta l4proto tcp th dport 443 accept",
		"ip saddr 127.0.0.0/8 drop", "iif != lo ip saddr 127.0.0.0/8 drop", `iifname != "lo" ip6 saddr ::1 counter drop`,
		"ip saddr 192.0.2.0/24 accept", "counter drop", "drop", "reject", "counter accept", "jump sub", "udp dport 53 accept",
		`tcp dport 80 counter accept comment "web"`, "log prefix \"in \" drop",
	}
	var b strings.Builder
	files := map[string]string{}
	b.WriteString("#!/usr/sbin/nft -f\n")
	if rng.IntN(2) == 0 {
		b.WriteString("flush ruleset\n")
	}
	b.WriteString("define PORTS = { 22, 443 }\n")
	tables := 1 + rng.IntN(2)
	var chains [][3]string // family table chain
	for ti := range tables {
		fam := pick("inet", "ip", "ip6")
		name := fmt.Sprintf("t%d", ti)
		fmt.Fprintf(&b, "table %s %s {\n", fam, name)
		if rng.IntN(8) == 0 {
			b.WriteString("\tflags dormant\n")
		}
		b.WriteString("\tchain sub {\n")
		for range rng.IntN(3) {
			fmt.Fprintf(&b, "\t\t%s\n", pick("tcp dport 80 accept", "drop", "return", "iif lo accept", "counter"))
		}
		b.WriteString("\t}\n")
		for _, hook := range []string{"input", "forward"} {
			if rng.IntN(4) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\tchain %s {\n", hook)
			switch rng.IntN(3) {
			case 0:
				fmt.Fprintf(&b, "\t\ttype filter hook %s priority %s; policy %s;\n", hook, pick("0", "filter", "-10"), pick("accept", "drop"))
			case 1:
				fmt.Fprintf(&b, "\t\ttype filter hook %s priority 0\n\t\tpolicy %s\n", hook, pick("accept", "drop"))
			default:
				fmt.Fprintf(&b, "\t\ttype filter hook %s priority 0;\n", hook)
			}
			for range rng.IntN(5) {
				r := pick(rules...)
				// Mostly rules the family allows; now and then one
				// nft refuses (ip saddr in an ip6 table).
				for (fam == "ip" && strings.Contains(r, "ip6 ") || fam == "ip6" && strings.Contains(r, "ip saddr")) && rng.IntN(6) != 0 {
					r = pick(rules...)
				}
				fmt.Fprintf(&b, "\t\t%s\n", r)
			}
			b.WriteString("\t}\n")
			chains = append(chains, [3]string{fam, name, hook})
		}
		b.WriteString("}\n")
	}
	if len(chains) > 0 && rng.IntN(2) == 0 {
		c := chains[rng.IntN(len(chains))]
		fmt.Fprintf(&b, "%s rule %s %s %s %s\n", pick("add", "insert"), c[0], c[1], c[2], pick(rules[:12]...))
	}
	switch rng.IntN(6) {
	case 0:
		b.WriteString("include \"@ETC@/nftables.d/*.nft\"\n")
		if len(chains) > 0 {
			c := chains[rng.IntN(len(chains))]
			files["etc/nftables.d/10-extra.nft"] = fmt.Sprintf("add rule %s %s %s %s\n", c[0], c[1], c[2], pick(rules[:12]...))
		}
	case 1:
		b.WriteString("include \"@ETC@/nftables.d/missing.nft\"\n")
	case 2:
		b.WriteString("add rule inet nosuch input accept\n")
	case 3:
		b.WriteString("flush ruleset\n")
	}
	files["etc/nftables.conf"] = b.String()
	return files
}
