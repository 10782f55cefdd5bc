package drift

import "time"

// Headers of the drift documents (docs/schemas/drift_report.schema.json,
// docs/schemas/watch_event.schema.json).
const (
	ReportSchemaVersion = "1.0"
	ReportKind          = "drift_report"
	EventSchemaVersion  = "1.1"
	EventKind           = "watch_event"
)

// Report is one drift evaluation as cradle drift writes it: the approved
// snapshot it was measured against and every difference found.
type Report struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	// Target is the target's identity ("root:/srv/rootfs").
	Target     string    `json:"target"`
	TargetName string    `json:"target_name"`
	Profile    string    `json:"profile"`
	ApprovedAt time.Time `json:"approved_at"`
	Approval   Approval  `json:"approval"`
	// Snapshot is the digest of the approved snapshot.
	Snapshot  string    `json:"snapshot"`
	CheckedAt time.Time `json:"checked_at"`
	Items     []Item    `json:"items"`
}

// NewReport reports items found at checked in the target identity against
// snap (with digest).
func NewReport(identity string, snap *Snapshot, digest string, checked time.Time, items []Item) *Report {
	if items == nil {
		items = []Item{}
	}
	return &Report{SchemaVersion: ReportSchemaVersion, Kind: ReportKind, Target: identity, TargetName: snap.TargetName,
		Profile: snap.Options.Profile, ApprovedAt: snap.ApprovedAt, Approval: snap.Approval, Snapshot: digest,
		CheckedAt: checked, Items: items}
}
