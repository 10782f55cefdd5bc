package impact

import (
	"sort"
	"strings"
)

// Source is one place the preflight looked for evidence, and whether it
// could read it: the plan lists every source so that a verdict of none is
// read against what was actually seen.
type Source struct {
	Name   string   `json:"name"`             // "auth-log", "journal", "wtmp", "lastlog", "sudo-log", "units", "runtime", ...
	Status string   `json:"status"`           // SourceRead, SourcePartial or SourceMissing
	Paths  []string `json:"paths,omitempty"`  // files or directories read, root-relative as shown to users ("/var/log/auth.log")
	Detail string   `json:"detail,omitempty"` // why partial or missing
}

// Source statuses.
const (
	SourceRead    = "read"    // read completely within the window
	SourcePartial = "partial" // read in part (budget, unreadable file): absence is not evidence
	SourceMissing = "missing" // not present or not applicable (offline target): nothing seen
)

// Names of the sources the preflight itself records. Readers elsewhere
// in the package add their own (wtmp, lastlog, sudo-log, cron, ...).
const (
	SourceAuthLog   = "auth-log"       // /var/log/auth.log*, /var/log/secure*: accepted SSH logins
	SourceJournal   = "journal"        // the systemd journal: accepted SSH logins
	SourceAccounts  = "accounts"       // passwd, shadow, group, authorized keys, sshd_config
	SourceUnits     = "units"          // systemd unit files: dependencies, socket ports
	SourceProcesses = "processes"      // /proc/<pid>: running programs and their units
	SourceSockets   = "sockets"        // /proc/net/{tcp,udp}{,6}: listeners and connections
	SourceModules   = "modules"        // /proc/modules: loaded kernel modules
	SourceSysctl    = "runtime-sysctl" // /proc/sys: running forwarding switches
)

// LoginSources are the sources that record accepted SSH logins: "no
// login seen" is none only when one of them was read completely, and
// unknown when none of them was read at all.
var LoginSources = []string{SourceAuthLog, SourceJournal}

// sourceRank orders statuses by how much was seen.
func sourceRank(status string) int {
	switch status {
	case SourceRead:
		return 2
	case SourcePartial:
		return 1
	}
	return 0
}

// AddSource records src. A source of the same name recorded before is
// merged with it: the paths are joined and the more complete status
// wins (a source read completely once — in one sample of a learning
// period, or by one of two readers — was read), with its detail; the
// details of equally complete records are joined. Record one Source per
// reading, not one per file of it: a file that could not be read makes
// the reading partial.
func (s *Signals) AddSource(src Source) {
	if src.Name == "" {
		return
	}
	if src.Status == "" {
		src.Status = SourceMissing
	}
	for i := range s.Sources {
		cur := &s.Sources[i]
		if cur.Name != src.Name {
			continue
		}
		cur.Paths = union(cur.Paths, src.Paths)
		switch r, c := sourceRank(src.Status), sourceRank(cur.Status); {
		case r > c:
			cur.Status, cur.Detail = src.Status, src.Detail
		case r == c && src.Detail != "" && !strings.Contains(cur.Detail, src.Detail):
			if cur.Detail != "" {
				cur.Detail += "; "
			}
			cur.Detail += src.Detail
		}
		return
	}
	src.Paths = append([]string(nil), src.Paths...)
	s.Sources = append(s.Sources, src)
	sort.SliceStable(s.Sources, func(i, j int) bool { return s.Sources[i].Name < s.Sources[j].Name })
}

// Source returns the source recorded under name.
func (s *Signals) Source(name string) (Source, bool) {
	for _, src := range s.Sources {
		if src.Name == name {
			return src, true
		}
	}
	return Source{}, false
}

// SourceList returns a copy of the recorded sources, by name.
func (s *Signals) SourceList() []Source {
	out := make([]Source, len(s.Sources))
	for i, src := range s.Sources {
		src.Paths = append([]string(nil), src.Paths...)
		out[i] = src
	}
	return out
}

// read reports whether the source name was read completely.
func (s *Signals) read(name string) bool {
	src, ok := s.Source(name)
	return ok && src.Status == SourceRead
}
