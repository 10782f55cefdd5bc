// Package baseline embeds cradle's built-in hardening baseline: the rule
// files under rules/ and the profile catalogue in profiles.yaml, written
// from public hardening knowledge.
package baseline

import (
	"embed"
	"io/fs"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/rules"
)

//go:embed profiles.yaml rules
var files embed.FS

// FS exposes the embedded files (for docs generation and tests).
func FS() fs.FS { return files }

// Load parses and validates the embedded baseline against reg.
func Load(reg *check.Registry) (*rules.Set, *rules.Profiles, error) {
	return rules.LoadFS(files, "rules", "profiles.yaml", reg)
}
