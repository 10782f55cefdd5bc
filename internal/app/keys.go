package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/signing"
)

// KeyList lists the keys trusted for verification (key_list document).
func (a *App) KeyList(_ context.Context) (*signing.KeyList, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	keys, err := signing.ListKeys(h.Keys())
	if err != nil {
		return nil, Input(err)
	}
	return signing.NewKeyList(keys), nil
}

// KeyRotateOutput names the keys of a rotation and the logs that recorded
// it.
type KeyRotateOutput struct {
	Old, New string
	Recorded []string // target identities
}

// KeyRotate replaces the generated signing key; the old public key stays
// trusted and every target's change log records the rotation, signed by
// both keys. A damaged log or a missing change reference stops it before
// anything changes.
func (a *App) KeyRotate(ctx context.Context, c Change) (*KeyRotateOutput, error) {
	if a.getenv(signing.EnvKey) != "" || c.Key != "" {
		return nil, Usagef("the signing key is given ($%s or --key): rotate it where it is managed", signing.EnvKey)
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	if err := h.Ensure(); err != nil {
		return nil, Input(err)
	}
	keys, err := signing.LoadKeyring(h.Keys())
	if err != nil {
		return nil, Input(err)
	}
	pol, err := changelog.LoadPolicy(h.Policy(), a.getenv)
	if err != nil {
		return nil, Input(err)
	}
	reason := c.Reason
	if reason == "" {
		reason = "signing key rotated"
	}
	base := changelog.Log{Dir: h.Logs(), Keys: keys, RequireChangeRef: pol.RequireChangeRef}
	out := &KeyRotateOutput{}
	old, next, err := signing.Rotate(h.Keys(), time.Now(), func(old, next *signing.Key) error {
		base.Keys.Add(next.Public())
		var rerr error
		out.Recorded, rerr = changelog.RecordKeyRotation(ctx, base, old, next, changelog.Entry{
			Reason: reason, ChangeRef: c.ChangeRef, Actor: changelog.Actor{Actor: c.Actor},
		})
		return rerr
	})
	if errors.Is(err, signing.ErrNoKeyToRotate) {
		return nil, Usagef("%v in %s (it is generated on first use)", err, h.Keys())
	}
	if err != nil {
		return nil, appendErr(fmt.Errorf("key rotate: %w", err))
	}
	out.Old, out.New = old.ID(), next.ID()
	return out, nil
}

// KeyExport returns the PEM public key with id, or the active key's, and
// writes it to path (atomically) unless path is empty.
func (a *App) KeyExport(_ context.Context, id, path string) ([]byte, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	pem, err := signing.ExportPublic(h.Keys(), id)
	if err != nil {
		return nil, Input(err)
	}
	if path != "" {
		if err := fileutil.WriteAtomic(path, pem, 0o644); err != nil {
			return nil, err
		}
	}
	return pem, nil
}
