package impact

import (
	"fmt"
	"sort"
	"strings"
)

// Summary describes the signals, one line per family, for the output of
// cradle fix --learn.
func (s *Signals) Summary() []string {
	var out []string
	// SSH logins.
	methods := map[string]map[string]bool{}
	for _, l := range s.Logins {
		if methods[l.Method] == nil {
			methods[l.Method] = map[string]bool{}
		}
		methods[l.Method][l.User] = true
	}
	line := fmt.Sprintf("ssh logins: %d accepted in %s (%d log file(s))", len(s.Logins), s.windowText(), len(s.LogFiles))
	if len(methods) > 0 {
		var parts []string
		for _, m := range sortedKeys(methods) {
			parts = append(parts, fmt.Sprintf("%s by %s", m, list(sortedKeys(methods[m]))))
		}
		line += ": " + strings.Join(parts, "; ")
	}
	if len(s.LogGaps) > 0 {
		line += "; not read completely: " + list(s.LogGaps)
	}
	out = append(out, line)
	// SSH access.
	keyUsers := sortedKeys(s.AuthorizedKeys)
	out = append(out, fmt.Sprintf("ssh access: authorized keys for %s; administrators %s; password-capable users %s",
		orNone(keyUsers), orNone(s.Admins), orNone(s.PasswordUsers)))
	if !s.Live {
		out = append(out, "runtime: offline target, no sockets, processes or loaded modules")
	} else {
		units := map[string]bool{}
		for _, l := range s.Listeners {
			units[orName(l.Unit, l.Comm)] = true
		}
		busy := map[string]bool{}
		for _, c := range s.Conns {
			busy[orName(c.Unit, c.Comm)] = true
		}
		out = append(out, fmt.Sprintf("sockets (%d sample(s)): %d listener(s) held by %s; %d connection(s) of %s",
			s.Samples, len(s.Listeners), orNone(sortedKeys(units)), len(s.Conns), orNone(sortedKeys(busy))))
		out = append(out, fmt.Sprintf("processes: %d distinct program(s)", len(s.Procs)))
		out = append(out, fmt.Sprintf("kernel modules: %d loaded", len(s.Modules)))
	}
	fw := []string{}
	for _, k := range sortedKeys(s.Forwarding) {
		fw = append(fw, k+"="+s.Forwarding[k])
	}
	out = append(out, fmt.Sprintf("forwarding: running %s; installed %s; runtime %s",
		orNone(s.runningRuntimes()), orNone(s.Installed), orNone(fw)))
	enabled := 0
	for _, d := range s.Deps {
		if d.Enabled {
			enabled++
		}
	}
	out = append(out, fmt.Sprintf("unit dependencies: %d declared, %d from enabled units", len(s.Deps), enabled))
	out = append(out, s.evidenceSummary()...)
	if len(s.Problems) > 0 {
		out = append(out, fmt.Sprintf("not readable: %s", list(s.Problems)))
	}
	byStatus := map[string][]string{}
	for _, src := range s.Sources {
		byStatus[src.Status] = append(byStatus[src.Status], src.Name)
	}
	out = append(out, fmt.Sprintf("sources: read %s; read in part %s; missing %s",
		orNone(byStatus[SourceRead]), orNone(byStatus[SourcePartial]), orNone(byStatus[SourceMissing])))
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return list(xs)
}

func orName(unit, comm string) string {
	if unit != "" {
		return unit
	}
	if comm != "" {
		return comm
	}
	return "unknown"
}
