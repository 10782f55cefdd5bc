package changelog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// Targets lists the identities of the targets that have a log in dir (a
// head file that names a target whose key matches the file name).
func Targets(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("change logs: %w", err)
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".head")
		if !ok || e.IsDir() {
			continue
		}
		h, err := ReadHead(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("change log %s: %w", e.Name(), err)
		}
		if target.KeyOf(h.Target) != name {
			return nil, fmt.Errorf("change log head %s names target %q, whose log would be %s.head", e.Name(), h.Target, target.KeyOf(h.Target))
		}
		out = append(out, h.Target)
	}
	slices.Sort(out)
	return out, nil
}

// RotationDetails is the Details object of a key-rotate entry.
type RotationDetails struct {
	OldKey       string `json:"old_key"`
	NewKey       string `json:"new_key"`
	NewPublicKey string `json:"new_public_key"` // PEM
}

// RecordKeyRotation appends a key-rotate entry to the log of every target
// in base.Dir (base gives Dir, Keys, the policy and clock; e the reason,
// change reference and actor). Each entry is signed by old and co-signed
// by next: the old key vouches for the new one, and the new key proves it
// is held. Every log is checked first, so a damaged log stops the rotation
// before any entry is written. It returns the targets recorded.
func RecordKeyRotation(ctx context.Context, base Log, old, next *signing.Key, e Entry) ([]string, error) {
	targets, err := Targets(base.Dir)
	if err != nil {
		return nil, err
	}
	pem, err := signing.MarshalPublic(next.Public())
	if err != nil {
		return nil, err
	}
	e.Action = ActionKeyRotate
	e.Before = map[string]string{"signing_key": old.ID()}
	e.After = map[string]string{"signing_key": next.ID()}
	if e.Details, err = json.Marshal(RotationDetails{OldKey: old.ID(), NewKey: next.ID(), NewPublicKey: string(pem)}); err != nil {
		return nil, err
	}
	if base.RequireChangeRef && e.ChangeRef == "" {
		return nil, ErrChangeRefRequired
	}
	logs := make([]*Log, len(targets))
	for i, t := range targets {
		l := base
		l.Target, l.Signer = t, old
		if err := l.CheckAppendable(ctx); err != nil {
			return nil, fmt.Errorf("log of %s: %w", t, err)
		}
		logs[i] = &l
	}
	var done []string
	for _, l := range logs {
		if _, err := l.AppendCosigned(ctx, e, next); err != nil {
			return done, fmt.Errorf("log of %s: %w", l.Target, err)
		}
		done = append(done, l.Target)
	}
	return done, nil
}
