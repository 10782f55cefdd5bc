package impact

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// sysctlRuntime rates a kernel parameter change with the live system's
// state: the value it has now, and for the parameters that depend on the
// network's shape (reverse-path filtering, router advertisements) the
// routes and addresses in use. Offline targets have no such state.
func (s *Signals) sysctlRuntime(key, value string) (string, []string) {
	key = strings.ReplaceAll(strings.TrimSpace(key), "/", ".")
	value = strings.TrimSpace(value)
	v := newTally(s.sysctl(key, value))
	if oneWay(key, value) {
		v.raise(remedy.ImpactNone, fmt.Sprintf("%s = %s cannot be undone without a reboot", key, value))
	}
	topo := topologyKey(key, value)
	if !s.Live || s.t == nil {
		if topo != "" {
			v.raise(remedy.ImpactUnknown, fmt.Sprintf("offline target: the interfaces, addresses and routes %s depends on are not known", key))
		}
		return v.result()
	}
	cur, err := target.ReadFileLimit(s.t, "proc/sys/"+strings.ReplaceAll(key, ".", "/"), 4096)
	switch {
	case err != nil:
		v.raise(remedy.ImpactNone, fmt.Sprintf("%s has no runtime value on this kernel", key))
	case strings.Join(strings.Fields(string(cur)), " ") == value:
		v.raise(remedy.ImpactNone, fmt.Sprintf("%s is already %s at runtime", key, value))
		return v.result()
	default:
		v.raise(remedy.ImpactNone, fmt.Sprintf("%s is %s at runtime and becomes %s", key, strings.TrimSpace(string(cur)), value))
	}
	switch topo {
	case "rp_filter":
		defaults := defaultRouteIfaces(s.t)
		if len(defaults) > 1 {
			v.raise(remedy.ImpactPossible, fmt.Sprintf("default routes via %s: strict reverse-path filtering drops packets that arrive on another interface than the reply would leave by (asymmetric or multi-homed routing)", list(defaults)))
		} else {
			v.raise(remedy.ImpactNone, fmt.Sprintf("one default route interface (%s): no asymmetric routing seen", orNone(defaults)))
		}
	case "accept_ra":
		if ra := raConfigured(s.t); len(ra) > 0 {
			v.raise(remedy.ImpactPossible, fmt.Sprintf("IPv6 is configured from router advertisements (%s): interfaces the setting applies to get no address or default route from them", list(ra)))
		} else {
			v.raise(remedy.ImpactNone, "no address or default route from router advertisements")
		}
	}
	if key == "kernel.yama.ptrace_scope" {
		var dbg orderedSet
		for _, p := range s.Procs {
			switch p.Comm {
			case "gdb", "strace", "ltrace", "lldb", "rr", "gdbserver", "perf":
				dbg.add(p.Comm)
			}
		}
		if len(dbg.list) > 0 {
			v.raise(remedy.ImpactPossible, "debuggers running, which attach to processes with ptrace: "+list(dbg.list))
		}
	}
	if key == "kernel.kexec_load_disabled" && value == "1" && s.sd != nil {
		for _, u := range []string{"kdump-tools.service", "kdump.service"} {
			if us, err := s.sd.State(u); err == nil && us.State == "enabled" {
				v.raise(remedy.ImpactPossible, u+" is enabled: kdump loads its crash kernel with kexec")
			}
		}
	}
	return v.result()
}

// oneWay reports settings the kernel does not let go back until reboot.
func oneWay(key, value string) bool {
	switch key {
	case "kernel.kexec_load_disabled", "kernel.modules_disabled":
		return value == "1"
	case "kernel.yama.ptrace_scope":
		return value == "3"
	case "kernel.unprivileged_bpf_disabled":
		return value == "1"
	}
	return false
}

// topologyKey names the network-shape check a key needs, "" for none.
func topologyKey(key, value string) string {
	last := key[strings.LastIndexByte(key, '.')+1:]
	switch {
	case strings.HasPrefix(key, "net.ipv4.conf.") && last == "rp_filter" && value == "1":
		return "rp_filter"
	case strings.HasPrefix(key, "net.ipv6.conf.") && last == "accept_ra" && value == "0":
		return "accept_ra"
	}
	return ""
}

const maxRouteFile = 4 << 20

// defaultRouteIfaces lists the interfaces with an IPv4 or IPv6 default
// route.
func defaultRouteIfaces(t target.Target) []string {
	var out orderedSet
	if b, err := target.ReadFileLimit(t, "proc/net/route", maxRouteFile); err == nil {
		for _, r := range ParseRoutes(b) {
			if r.Default {
				out.add(r.Iface)
			}
		}
	}
	if b, err := target.ReadFileLimit(t, "proc/net/ipv6_route", maxRouteFile); err == nil {
		for _, r := range ParseRoutes6(b) {
			if r.Default && r.Iface != "lo" {
				out.add(r.Iface)
			}
		}
	}
	return out.list
}

// raConfigured lists what came from router advertisements: non-permanent
// global IPv6 addresses (SLAAC) and default routes the kernel added.
func raConfigured(t target.Target) []string {
	var out orderedSet
	if b, err := target.ReadFileLimit(t, "proc/net/if_inet6", maxRouteFile); err == nil {
		for _, a := range ParseIfInet6(b) {
			if a.Scope == 0 && a.Flags&ifaPermanent == 0 {
				out.add(a.Iface + " address " + a.Addr)
			}
		}
	}
	if b, err := target.ReadFileLimit(t, "proc/net/ipv6_route", maxRouteFile); err == nil {
		for _, r := range ParseRoutes6(b) {
			if r.Default && r.Flags&rtfAddrconf != 0 {
				out.add(r.Iface + " default route")
			}
		}
	}
	return out.list
}

// Route is one kernel routing table entry.
type Route struct {
	Iface   string
	Default bool
	Flags   uint32
}

const (
	ifaPermanent = 0x80
	rtfAddrconf  = 0x00040000
	maxRoutes    = 100000
)

// ParseRoutes reads /proc/net/route.
func ParseRoutes(b []byte) []Route {
	var out []Route
	first := true
	_, _ = eachLine(bytes.NewReader(b), 1024, maxRouteFile, func(line []byte) bool {
		if first {
			first = false
			return true
		}
		f := strings.Fields(string(line))
		if len(f) < 8 {
			return true
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil {
			return true
		}
		out = append(out, Route{Iface: f[0], Default: f[1] == "00000000" && f[7] == "00000000", Flags: uint32(flags)})
		return len(out) < maxRoutes
	})
	return out
}

// ParseRoutes6 reads /proc/net/ipv6_route.
func ParseRoutes6(b []byte) []Route {
	var out []Route
	_, _ = eachLine(bytes.NewReader(b), 1024, maxRouteFile, func(line []byte) bool {
		f := strings.Fields(string(line))
		if len(f) < 10 || len(f[0]) != 32 {
			return true
		}
		flags, err := strconv.ParseUint(f[8], 16, 32)
		if err != nil {
			return true
		}
		def := f[0] == strings.Repeat("0", 32) && f[1] == "00"
		out = append(out, Route{Iface: f[9], Default: def, Flags: uint32(flags)})
		return len(out) < maxRoutes
	})
	return out
}

// IfAddr6 is one /proc/net/if_inet6 entry.
type IfAddr6 struct {
	Addr  string
	Iface string
	Scope uint8
	Flags uint32
}

// ParseIfInet6 reads /proc/net/if_inet6.
func ParseIfInet6(b []byte) []IfAddr6 {
	var out []IfAddr6
	_, _ = eachLine(bytes.NewReader(b), 1024, maxRouteFile, func(line []byte) bool {
		f := strings.Fields(string(line))
		if len(f) < 6 || len(f[0]) != 32 {
			return true
		}
		scope, err1 := strconv.ParseUint(f[3], 16, 8)
		flags, err2 := strconv.ParseUint(f[4], 16, 32)
		if err1 != nil || err2 != nil {
			return true
		}
		raw, err := hex.DecodeString(f[0])
		if err != nil {
			return true
		}
		out = append(out, IfAddr6{Addr: netip.AddrFrom16([16]byte(raw)).String(), Iface: f[5], Scope: uint8(scope), Flags: uint32(flags)})
		return len(out) < maxRoutes
	})
	return out
}
