package checks

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/firewall"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

var fwSystemd = map[string]string{
	"usr/lib/systemd/systemd": "",
	"lib":                     "->usr/lib",
	"usr/lib/systemd/system/nftables.service": "[Service]\n[Install]\nWantedBy=sysinit.target\n",
	"usr/lib/systemd/system/ufw.service":      "[Service]\n[Install]\nWantedBy=multi-user.target\n",
}

const fwUserRules = `*filter
:ufw-user-input - [0:0]
:ufw-user-forward - [0:0]
### RULES ###

### END RULES ###
COMMIT
`

const fwUser6Rules = `*filter
:ufw6-user-input - [0:0]
### RULES ###

### END RULES ###
COMMIT
`

const fwBefore = `*filter
:ufw-before-input - [0:0]
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`

// fwUFW is an enabled ufw with the given default input policy.
func fwUFW(input string) map[string]string {
	return map[string]string{
		"etc/systemd/system/multi-user.target.wants/ufw.service": "->/lib/systemd/system/ufw.service",
		"etc/ufw/ufw.conf":      "ENABLED=yes\n",
		"etc/default/ufw":       "IPV6=yes\nDEFAULT_INPUT_POLICY=\"" + input + "\"\nDEFAULT_FORWARD_POLICY=\"DROP\"\n",
		"etc/ufw/before.rules":  fwBefore,
		"etc/ufw/before6.rules": strings.ReplaceAll(fwBefore, "ufw-", "ufw6-"),
		"etc/ufw/user.rules":    fwUserRules,
		"etc/ufw/user6.rules":   fwUser6Rules,
	}
}

const fwNft = `flush ruleset
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport 22 accept
	}
	chain forward { type filter hook forward priority 0; policy accept; }
}
`

func fwTree(parts ...map[string]string) map[string]string {
	files := maps.Clone(fwSystemd)
	for _, p := range parts {
		maps.Copy(files, p)
	}
	return files
}

var fwNftEnabled = map[string]string{"etc/systemd/system/sysinit.target.wants/nftables.service": "->/lib/systemd/system/nftables.service"}

func TestFirewallTemplate(t *testing.T) {
	nft := fwTree(fwNftEnabled, map[string]string{"etc/nftables.conf": fwNft})
	ufwDrop := fwTree(fwUFW("DROP"))
	both := fwTree(fwUFW("DROP"), fwNftEnabled, map[string]string{"etc/nftables.conf": fwNft})
	ufwOff := fwTree(fwUFW("DROP"), map[string]string{"etc/ufw/ufw.conf": "ENABLED=no\n"})
	tcp := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n" +
		"   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0\n" +
		"   2: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1 0 100 0 0 10 0\n"
	liveSSH := map[string]string{"proc/net/tcp": strings.Join(strings.Split(tcp, "\n")[:2], "\n") + "\n"}
	liveWeb := map[string]string{"proc/net/tcp": tcp}
	tests := []struct {
		name  string
		args  string
		files map[string]string
		live  bool
		want  result.Status
		obs   string
	}{
		{"one manager", `{aspect: single_manager}`, nft, false, result.Pass, "nftables enabled by nftables.service"},
		{"two managers", `{aspect: single_manager}`, both, false, result.Fail, "2 managers"},
		{"ufw ENABLED=no", `{aspect: single_manager}`, ufwOff, false, result.Fail, "ENABLED is not yes"},
		{"none", `{aspect: input_deny}`, fwTree(), false, result.Fail, "no firewall manager is enabled"},
		{"nft input deny", `{aspect: input_deny}`, nft, false, result.Pass, "policy drop"},
		{"nft forward accept", `{aspect: forward_deny}`, nft, false, result.Fail, "policy accept"},
		{"ufw deny", `{aspect: input_deny}`, ufwDrop, false, result.Pass, "policy drop"},
		{"ufw accept", `{aspect: input_deny, families: [ipv6]}`, fwTree(fwUFW("ACCEPT")), false, result.Fail, "policy accept"},
		{"ufw forward", `{aspect: forward_deny}`, ufwDrop, false, result.Pass, ""},
		{"ufw loopback", `{aspect: loopback}`, ufwDrop, false, result.Pass, "-i lo -j ACCEPT"},
		{"ufw no before.rules", `{aspect: loopback}`, fwTree(fwUFW("DROP"), map[string]string{"etc/ufw/before.rules": "*filter\nCOMMIT\n"}), false, result.Fail, "no such rule"},
		{"ufw spoofing missing", `{aspect: spoofing}`, fwTree(fwUFW("DROP"), map[string]string{"etc/ufw/user.rules": strings.Replace(fwUserRules, "### RULES ###\n", "### RULES ###\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n", 1)}), false, result.Fail, "no such rule"},
		{"ufw spoofing only lo", `{aspect: spoofing, families: [ipv4]}`, ufwDrop, false, result.Pass, "accepts only lo"},
		{"ufw spoofing rule", `{aspect: spoofing, families: [ipv4]}`, fwTree(fwUFW("DROP"), map[string]string{"etc/ufw/user.rules": strings.Replace(fwUserRules, "### RULES ###\n", "### RULES ###\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n-A ufw-user-input -s 127.0.0.0/8 -j DROP\n", 1)}), false, result.Pass, "127.0.0.0/8"},
		{"nft established", `{aspect: established}`, nft, false, result.Pass, "ct state established"},
		{"listening offline", `{aspect: listening}`, nft, false, result.NotApplicable, ""},
		{"listening covered", `{aspect: listening}`, fwTree(fwNftEnabled, map[string]string{"etc/nftables.conf": fwNft}, liveSSH), true, result.Pass, "tcp dport 22 accept"},
		{"listening dropped", `{aspect: listening}`, fwTree(fwNftEnabled, map[string]string{"etc/nftables.conf": fwNft}, liveWeb), true, result.Fail, "tcp/80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := status(newCheck(t, firewallTemplate{}, tt.args), targettest.Open(t, tt.live, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			var obs []string
			for _, e := range o.Evidence {
				obs = append(obs, e.Observed)
			}
			if !strings.Contains(strings.Join(obs, "\n"), tt.obs) {
				t.Errorf("evidence %q, want %q", obs, tt.obs)
			}
		})
	}
	runArgErrors(t, firewallTemplate{}, []string{`{aspect: nope}`, `{aspect: input_deny, families: [ipx]}`, `{aspect: listening, protocols: [sctp]}`})
}

func TestFirewallFix(t *testing.T) {
	tg := targettest.Tree(t, fwTree(fwUFW("ACCEPT"), map[string]string{"etc/ssh/sshd_config": "Port 2222\nPort 22\n"}))
	ch := fixRoundTrip(t, firewallTemplate{}, `{aspect: input_deny}`, tg)
	if got := planned(t, ch, "etc/default/ufw"); !strings.Contains(got, `DEFAULT_INPUT_POLICY="DROP"`) {
		t.Errorf("defaults:\n%s", got)
	}
	for _, f := range []string{"etc/ufw/user.rules", "etc/ufw/user6.rules"} {
		got := planned(t, ch, f)
		if !strings.Contains(got, "--dport 2222 -j ACCEPT") || !strings.Contains(got, "--dport 22 -j ACCEPT") || strings.Index(got, "--dport 22 ") > strings.Index(got, "### END RULES ###") {
			t.Errorf("%s:\n%s", f, got)
		}
	}
	if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22,tcp/2222"}) {
		t.Errorf("effects %+v", fxEffects(ch))
	}

	// Live: every port a service listens on for other hosts stays open,
	// UDP too (a WireGuard port), in the families it listens in.
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	tg = targettest.Open(t, true, fwTree(fwUFW("ACCEPT"), map[string]string{
		"etc/ssh/sshd_config": "Port 22\n",
		"proc/net/tcp": hdr + "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n" +
			"   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0\n" +
			"   2: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1 0 100 0 0 10 0\n",
		"proc/net/udp": hdr + "   0: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 103 2 0 0\n",
	}))
	ch = fixRoundTrip(t, firewallTemplate{}, `{aspect: input_deny}`, tg)
	if got := planned(t, ch, "etc/ufw/user.rules"); !strings.Contains(got, "-p udp --dport 51820 -j ACCEPT") || !strings.Contains(got, "-p tcp --dport 80 -j ACCEPT") || strings.Contains(got, "--dport 25 ") || strings.Count(got, "--dport 22 ") != 1 {
		t.Errorf("user.rules:\n%s", got)
	}
	if got := planned(t, ch, "etc/ufw/user6.rules"); strings.Contains(got, "51820") || !strings.Contains(got, "--dport 22 ") {
		t.Errorf("user6.rules (IPv4-only listeners stay out):\n%s", got)
	}
	if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22,tcp/80,udp/51820"}) {
		t.Errorf("effects %+v", fxEffects(ch))
	}

	// An allow limited to some sources or interfaces keeps nothing open
	// for everyone: sshd's allow is still added and the preflight is not
	// told those ports stay reachable.
	for _, restricted := range []string{
		"-A ufw-user-input -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT\n-A ufw-user-input -s 10.0.0.0/8 -p tcp --dport 443 -j ACCEPT\n",
		"-A ufw-user-input -i wg0 -p tcp --dport 22 -j ACCEPT\n-A ufw-user-input -i wg0 -p tcp --dport 443 -j ACCEPT\n",
	} {
		tg = targettest.Tree(t, fwTree(fwUFW("ACCEPT"), map[string]string{
			"etc/ssh/sshd_config": "Port 22\n",
			"etc/default/ufw":     "IPV6=no\nDEFAULT_INPUT_POLICY=ACCEPT\n",
			"etc/ufw/user.rules":  strings.Replace(fwUserRules, "### RULES ###\n", "### RULES ###\n"+restricted, 1),
		}))
		ch = fixRoundTrip(t, firewallTemplate{}, `{aspect: input_deny, families: [ipv4]}`, tg)
		if got := planned(t, ch, "etc/ufw/user.rules"); !strings.Contains(got, "-A ufw-user-input -p tcp --dport 22 -j ACCEPT") {
			t.Errorf("user.rules with %q:\n%s", restricted, got)
		}
		if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22"}) {
			t.Errorf("effects with %q: %+v", restricted, fxEffects(ch))
		}
	}

	// An allow already there is not repeated; forward needs no port.
	tg = targettest.Tree(t, fwTree(fwUFW("ACCEPT"), map[string]string{"etc/default/ufw": "DEFAULT_FORWARD_POLICY=ACCEPT\nIPV6=no\n"}))
	ch = fixRoundTrip(t, firewallTemplate{}, `{aspect: forward_deny, families: [ipv4]}`, tg)
	if got := planned(t, ch, "etc/default/ufw"); !strings.Contains(got, "DEFAULT_FORWARD_POLICY=DROP") {
		t.Errorf("defaults:\n%s", got)
	}

	// Deferred: another manager; sshd's port unknown.
	for name, files := range map[string]map[string]string{
		"nftables":  fwTree(fwNftEnabled, map[string]string{"etc/nftables.conf": strings.Replace(fwNft, "policy drop", "policy accept", 1)}),
		"sshd port": fwTree(fwUFW("ACCEPT"), map[string]string{"etc/ssh/sshd_config": "Port ssh\n"}),
	} {
		ch := fixRoundTrip(t, firewallTemplate{}, `{aspect: input_deny}`, targettest.Tree(t, files))
		for _, op := range ch.Ops() {
			if !op.Deferred() || !strings.Contains(op.Reason, "ufw allow 22/tcp") {
				t.Errorf("%s: op %+v, want deferred with the commands", name, op)
			}
		}
	}
}

// TestFirewallDenyRunningAndPersisted: on the live host the running
// ruleset and the configuration loaded at boot must both deny; the
// evidence names the one that does not.
func TestFirewallDenyRunningAndPersisted(t *testing.T) {
	ctx := context.Background()
	drop, err := firewall.ParseNft([]byte(fwNft), "nft list ruleset")
	if err != nil {
		t.Fatal(err)
	}
	accept, err := firewall.ParseNft([]byte(strings.Replace(fwNft, "policy drop", "policy accept", 1)), "nft list ruleset")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		ufw     string
		running *firewall.Ruleset
		want    result.Status
		obs     string
	}{
		{"both deny", "DROP", drop, result.Pass, "persisted configuration"},
		{"armed for the next boot only", "DROP", accept, result.Fail, "running ruleset"},
		{"running only until reboot", "ACCEPT", drop, result.Fail, "persisted configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg := targettest.Tree(t, fwTree(fwUFW(tt.ufw)))
			fw, err := firewall.Collect(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			fw.Running, fw.RunningSource = tt.running, "nft list ruleset"
			s := facts.NewStore(ctx, tg)
			if _, err := facts.Get(s, firewall.Key, func(context.Context, *facts.Store) (*firewall.Firewall, error) { return fw, nil }); err != nil {
				t.Fatal(err)
			}
			o := newCheck(t, firewallTemplate{}, `{aspect: input_deny, families: [ipv4]}`).Evaluate(ctx, s)
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%+v)", o.Status, tt.want, o.Evidence)
			}
			var bad []string
			for _, e := range o.Evidence {
				bad = append(bad, e.Expected+": "+e.Observed)
			}
			if !strings.Contains(strings.Join(bad, "\n"), tt.obs) {
				t.Errorf("evidence %q, want %q", bad, tt.obs)
			}
			if tt.want == result.Fail && strings.Contains(tt.obs, "running") == strings.Contains(strings.Join(bad, "\n"), "persisted") {
				t.Errorf("evidence names the ruleset that denies: %q", bad)
			}
		})
	}
}
