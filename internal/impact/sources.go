package impact

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
