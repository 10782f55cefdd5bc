package app

import (
	"errors"
	"fmt"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/home"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// changeLog returns the change log of the target, without a signer.
func (a *App) changeLog(s target.Spec) (*changelog.Log, home.Home, error) {
	h, err := a.Home()
	if err != nil {
		return nil, h, err
	}
	return &changelog.Log{Dir: h.Logs(), Target: s.ID()}, h, nil
}

// openChangeLog prepares the target's change log for appending: signing
// key (keyPath, else $CRADLE_SIGNING_KEY, else generated), trusted keys
// and policy. Use cases that change a target (fix, rollback, approvals,
// waivers, manual entries) append through it.
func (a *App) openChangeLog(s target.Spec, keyPath string) (*changelog.Log, home.Home, error) {
	l, h, err := a.changeLog(s)
	if err != nil {
		return nil, h, err
	}
	if err := h.Ensure(); err != nil {
		return nil, h, Input(err)
	}
	if l.Signer, err = a.signer(h, keyPath); err != nil {
		return nil, h, err
	}
	if l.Keys, err = signing.LoadKeyring(h.Keys()); err != nil {
		return nil, h, Input(err)
	}
	pol, err := changelog.LoadPolicy(h.Policy(), a.getenv)
	if err != nil {
		return nil, h, Input(err)
	}
	l.RequireChangeRef = pol.RequireChangeRef
	return l, h, nil
}

// changeControl opens the change log for a use case that changes the
// target and refuses, before anything is done, a change without the
// reference the policy requires.
func (a *App) changeControl(s target.Spec, c Change) (*changelog.Log, home.Home, error) {
	l, h, err := a.openChangeLog(s, c.Key)
	if err != nil {
		return nil, h, err
	}
	if l.RequireChangeRef && c.ChangeRef == "" {
		return nil, h, Input(changelog.ErrChangeRefRequired)
	}
	return l, h, nil
}

// appendErr classes append failures: policy and damaged-log refusals are
// the operator's to resolve.
func appendErr(err error) error {
	if errors.Is(err, changelog.ErrChangeRefRequired) || errors.Is(err, changelog.ErrDamaged) {
		return Input(err)
	}
	return err
}

// trustedKeys are the public key files given, or every public key in the
// keys directory.
func trustedKeys(h home.Home, pubkeys []string) (signing.Keyring, error) {
	if len(pubkeys) == 0 {
		r, err := signing.LoadKeyring(h.Keys())
		if err != nil {
			return nil, Input(err)
		}
		return r, nil
	}
	r := signing.Keyring{}
	for _, p := range pubkeys {
		pub, err := signing.LoadPublic(p)
		if err != nil {
			return nil, Input(fmt.Errorf("public key: %w", err))
		}
		r.Add(pub)
	}
	return r, nil
}
