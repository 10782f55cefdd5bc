package journal

// Header of the run list document (docs/schemas/run_list.schema.json).
const (
	ListSchemaVersion = "1.0"
	ListKind          = "run_list"
)

// RunList is what cradle runs writes: a target's runs, newest first.
type RunList struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	Target        string `json:"target"`
	Runs          []Run  `json:"runs"`
}

// NewRunList lists runs of the target identity; nil becomes empty.
func NewRunList(identity string, runs []Run) *RunList {
	if runs == nil {
		runs = []Run{}
	}
	return &RunList{SchemaVersion: ListSchemaVersion, Kind: ListKind, Target: identity, Runs: runs}
}
