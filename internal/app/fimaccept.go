package app

import "github.com/cradle-cra/cradle/internal/fim"

// maxAcceptedPaths bounds the unexplained paths an update's change-log
// entry names: the entry is signed and kept for good; the report has
// them all.
const maxAcceptedPaths = 256

// fimAccepted is what `fim update` accepted, in its change-log entry:
// how many changes each source explained, and the unexplained ones by
// path, so the log says which changes were taken on trust (and under
// which --change-ref: the entry's own).
type fimAccepted struct {
	Changes     int                 `json:"changes"`
	By          map[string]int      `json:"by,omitempty"` // fix, change-log, package, none
	Unexplained []fimAcceptedChange `json:"unexplained,omitempty"`
	// More counts the unexplained changes beyond maxAcceptedPaths.
	More int `json:"unexplained_more,omitempty"`
}

type fimAcceptedChange struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
}

// acceptedOf summarises the explained changes of an update's report
// (nil for init, which accepts no change).
func acceptedOf(r *fim.Report) *fimAccepted {
	if r.Command != fim.CmdUpdate {
		return nil
	}
	acc := &fimAccepted{Changes: len(r.Changes), By: map[string]int{}}
	for _, c := range r.Changes {
		by := fim.ByNone
		if c.Explained != nil {
			by = c.Explained.By
		}
		acc.By[by]++
		if by != fim.ByNone {
			continue
		}
		if len(acc.Unexplained) < maxAcceptedPaths {
			acc.Unexplained = append(acc.Unexplained, fimAcceptedChange{Path: c.Path, Kind: string(c.Kind)})
		} else {
			acc.More++
		}
	}
	return acc
}
