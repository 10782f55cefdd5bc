package changelog

// Header of the change log listing (docs/schemas/change_log.schema.json).
const (
	ListingSchemaVersion = "1.0"
	ListingKind          = "change_log"
)

// Listing is what cradle log writes: a target's log file and its entries,
// oldest first.
type Listing struct {
	SchemaVersion string  `json:"schema_version"`
	Kind          string  `json:"kind"`
	Target        string  `json:"target"`
	Path          string  `json:"path"`
	Entries       []Entry `json:"entries"`
}

// NewListing lists entries of the log of target at path; nil becomes
// empty.
func NewListing(target, path string, entries []Entry) *Listing {
	if entries == nil {
		entries = []Entry{}
	}
	return &Listing{SchemaVersion: ListingSchemaVersion, Kind: ListingKind, Target: target, Path: path, Entries: entries}
}
