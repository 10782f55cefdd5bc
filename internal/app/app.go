// Package app is cradle's application layer: every use case (scan, fix,
// rollback, runs, baseline approval, drift, watch, the change log) is a
// method of App over typed inputs and outputs. Front ends — the CLI
// today, a server or agent later — declare their inputs, call App and
// render what it returns; App never writes to a terminal (progress and
// notes go through the Progress of each input) and its errors carry a
// Class the front end maps to its own signal.
package app

import (
	"time"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/home"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/tailor"
)

// App holds what every use case needs of its environment.
type App struct {
	// Getenv reads environment variables ($CRADLE_HOME, the signing key,
	// the change policy); nil means none are set.
	Getenv func(string) string
	// UID is the effective user id, which decides the default state
	// directory (< 0 when unknown).
	UID int
	// Version is the tool version recorded in reports.
	Version string
	// Warn receives problems that do not stop the use case; nil drops
	// them.
	Warn func(error)
	// Now is the clock of use cases that record or compare wall time
	// (cases, Article 14 clocks); nil is time.Now.
	Now func() time.Time
}

func (a *App) getenv(k string) string {
	if a.Getenv == nil {
		return ""
	}
	return a.Getenv(k)
}

func (a *App) warn(err error) {
	if a.Warn != nil && err != nil {
		a.Warn(err)
	}
}

// Home resolves the state directory.
func (a *App) Home() (home.Home, error) {
	h, err := home.Resolve(a.getenv, a.UID)
	if err != nil {
		return h, Input(err)
	}
	return h, nil
}

// Selection is the rule selection every scanning use case shares.
type Selection struct {
	Profile   string
	Tailoring string // tailoring file, "" for none
	Waivers   string // waiver file, "" for none
	Rules     []string
	// RuleFiles are an organisation's own rule files or directories of
	// them, loaded next to the built-in baseline (--rules).
	RuleFiles []string
}

// Change is what change control records with a change: the ticket, who
// asked, why, and the signing key (a file; "" for $CRADLE_SIGNING_KEY or
// the generated key).
type Change struct {
	ChangeRef, Actor, Reason string
	Key                      string
}

// Progress receives the progress of long work. The CLI draws it on a
// terminal; a server would stream it. Methods may be called from several
// goroutines.
type Progress interface {
	// Rules reports done of total rules evaluated.
	Rules(done, total int)
	// Learning reports the impact sampling of fix --learn.
	Learning(elapsed, total time.Duration, samples int)
	// Note is a line for the operator (what is being done, what was
	// learned).
	Note(line string)
	// End finishes the current progress line.
	End()
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) Rules(int, int)                             {}
func (NoProgress) Learning(time.Duration, time.Duration, int) {}
func (NoProgress) Note(string)                                {}
func (NoProgress) End()                                       {}

func progressOf(p Progress) Progress {
	if p == nil {
		return NoProgress{}
	}
	return p
}

// Catalog builds the registry and the embedded baseline.
func (a *App) Catalog() (*engine.Engine, error) { return catalog.Load(a.Version) }

// selection loads the catalogue and the rule selection: profile,
// tailoring, waivers and rule ids. Input problems are usage errors.
func (a *App) selection(sel Selection) (*engine.Engine, engine.Options, error) {
	eng, err := a.catalogWith(sel.RuleFiles)
	if err != nil {
		return nil, engine.Options{}, err
	}
	opts := engine.Options{Profile: sel.Profile, RuleIDs: sel.Rules}
	if sel.Tailoring != "" {
		b, err := ReadInput(sel.Tailoring, rules.MaxFileSize)
		if err != nil {
			return nil, opts, err
		}
		if opts.Tailoring, err = tailor.ParseTailoring(sel.Tailoring, b); err != nil {
			return nil, opts, Input(err)
		}
	}
	if sel.Waivers != "" {
		b, err := ReadInput(sel.Waivers, rules.MaxFileSize)
		if err != nil {
			return nil, opts, err
		}
		if opts.Waivers, err = tailor.ParseWaivers(sel.Waivers, b); err != nil {
			return nil, opts, Input(err)
		}
	}
	opts.Profile = eng.ResolveProfile(opts)
	return eng, opts, nil
}

// ReadInput reads a user-supplied input file, bounded; every failure is
// an input error.
//
// A FIFO or device is refused rather than waited on.
func ReadInput(path string, limit int64) ([]byte, error) {
	b, err := fileutil.ReadBounded(path, limit)
	if err != nil {
		return nil, Input(err)
	}
	return b, nil
}

// signer is the key cradle signs with: keyPath, else $CRADLE_SIGNING_KEY
// (signing.EnvKey), else the home's own key, created on first use.
func (a *App) signer(h home.Home, keyPath string) (*signing.Key, error) {
	if keyPath == "" {
		keyPath = a.getenv(signing.EnvKey)
	}
	k, err := signing.Resolve(h.Keys(), keyPath)
	if err != nil {
		return nil, Input(err)
	}
	return k, nil
}
