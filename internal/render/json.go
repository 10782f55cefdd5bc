package render

import (
	"encoding/json"
	"io"

	"github.com/cradle-cra/cradle/internal/result"
)

// JSON writes the versioned report schema documented in docs/json-schema.md.
func JSON(w io.Writer, r *result.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
