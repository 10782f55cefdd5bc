package home

import (
	"path/filepath"
)

// Home is a resolved state directory and its layout. Every state path
// cradle uses is a method here, so the layout is written down once:
//
//	keys/                      signing keys (private 0600, *.pub)
//	logs/<key>.jsonl, .head    the change log of each target
//	runs/<key>/                fix-run journals of each target
//	snapshots/<key>/           approved drift snapshots and drift state
//	waivers/<key>.json         the waivers last used on each target
//	fim/<key>.db               the signed integrity database of each target
//	vuln/osv.db                the imported vulnerability database (OSV, KEV, EPSS)
//	change-policy.yaml         the change-control policy
//
// <key> is the target's target.Spec.Key().
type Home struct {
	// Dir is the absolute state directory.
	Dir string
}

// Resolve locates the state directory as Dir does.
func Resolve(getenv func(string) string, uid int) (Home, error) {
	d, err := Dir(getenv, uid)
	return Home{Dir: d}, err
}

// Ensure creates the state directory as the package-level Ensure does.
func (h Home) Ensure() error { return Ensure(h.Dir) }

// Keys is the directory of signing keys.
func (h Home) Keys() string { return filepath.Join(h.Dir, "keys") }

// Logs is the directory of the change logs (one file set per target key).
func (h Home) Logs() string { return filepath.Join(h.Dir, "logs") }

// Runs is the fix-run journal directory of the target with key.
func (h Home) Runs(key string) string { return filepath.Join(h.Dir, "runs", key) }

// Snapshots is the drift snapshot directory of the target with key.
func (h Home) Snapshots(key string) string { return filepath.Join(h.Dir, "snapshots", key) }

// Waivers is the file remembering the waivers last used on the target
// with key, so waiver changes can be logged.
func (h Home) Waivers(key string) string { return filepath.Join(h.Dir, "waivers", key+".json") }

// Policy is the change-control policy file.
func (h Home) Policy() string { return filepath.Join(h.Dir, "change-policy.yaml") }

// FIM is the default integrity database of the target with key.
func (h Home) FIM(key string) string { return filepath.Join(h.Dir, "fim", key+".db") }

// VulnDB is the default vulnerability database ("cradle vuln db import").
func (h Home) VulnDB() string { return filepath.Join(h.Dir, "vuln", "osv.db") }

// Cases is the vulnerability case store (cradle case).
func (h Home) Cases() string { return filepath.Join(h.Dir, "cases", "cases.db") }
