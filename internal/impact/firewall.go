package impact

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// firewallDeny judges a default-deny policy on hook that keeps only the
// ports in kept ("tcp/22,udp/51820"): services listening for other hosts
// on other TCP or UDP ports stop being reachable (possible); offline, where
// the listeners are unknown, the impact is unknown; inbound connections
// to them seen in the samples are cut (observed). Forwarded traffic is
// not sampled, so a forward policy is possible where the host forwards.
func (s *Signals) firewallDeny(hook, kept string) (string, []string) {
	var v verdict
	if hook == "forward" {
		for k, val := range s.Forwarding {
			if val != "0" {
				v.see(remedy.ImpactPossible, fmt.Sprintf("%s = %s: the host forwards traffic, which the policy drops", k, val))
			}
		}
		if !s.Live {
			v.cannot("offline target: forwarded traffic not checked")
		}
		return v.result()
	}
	allowed := strings.Split(kept, ",")
	open := func(proto string, port uint16) bool {
		return slices.Contains(allowed, fmt.Sprintf("%s/%d", proto, port))
	}
	var lost, cut orderedSet
	for _, l := range s.Listeners {
		if a, err := netip.ParseAddr(l.Addr); err == nil && a.Unmap().IsLoopback() || open(l.Proto, l.Port) {
			continue
		}
		who := l.Comm
		if l.Unit != "" {
			who += ", " + l.Unit
		}
		lost.add(fmt.Sprintf("%s (%s)", l.Endpoint(), who))
	}
	for _, c := range s.Conns {
		if c.Inbound && c.Proto == "tcp" && !open(c.Proto, c.Port) && !strings.HasPrefix(c.Peer, "127.") && c.Peer != "::1" {
			cut.add(c.String())
		}
	}
	if len(lost.list) > 0 {
		v.see(remedy.ImpactPossible, "no longer reachable from other hosts: "+list(lost.list))
	}
	if len(cut.list) > 0 {
		v.see(remedy.ImpactObserved, fmt.Sprintf("%d inbound connection(s) to ports the policy closes seen in %d sample(s): %s", len(cut.list), s.Samples, list(cut.list)))
	}
	if s.gap(&v, SourceSockets, "listeners and inbound connections") && v.level == "" {
		v.see(remedy.ImpactNone, "every listener for other hosts is on a kept port ("+kept+")")
	}
	return v.result()
}
