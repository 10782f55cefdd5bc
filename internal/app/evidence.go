package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cradle-cra/cradle/internal/evidence"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/risk"
	"github.com/cradle-cra/cradle/internal/signing"
)

// EvidenceBuildInput says which pack to build.
type EvidenceBuildInput struct {
	File    string   // product file; default ./cradle.yaml
	Release string   // product version; default the file's first version
	Out     string   // pack directory to create
	Zip     string   // zip of the pack, "" for none
	Inputs  []string // KIND=FILE
	Key     string   // signing key file; "" for $CRADLE_SIGNING_KEY or the generated key
	Placed  string   // YYYY-MM-DD the release is placed on the market; "" the build date
	Force   bool
}

// EvidenceBuild assembles and signs the evidence pack of one release.
// The build time is $SOURCE_DATE_EPOCH when set (reproducible packs).
func (a *App) EvidenceBuild(_ context.Context, in EvidenceBuildInput) (*evidence.Result, error) {
	if in.Out == "" {
		return nil, Usagef("--out DIR is required")
	}
	if in.File == "" {
		in.File = product.DefaultFile
	}
	p, warns, err := a.LoadProduct(in.File)
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		a.warn(errors.New(w.String()))
	}
	now := a.now()
	if s := a.getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, Usagef("SOURCE_DATE_EPOCH=%q: not a non-negative number of seconds", s)
		}
		now = time.Unix(n, 0).UTC()
	}
	o := evidence.Options{ProductPath: in.File, Product: p, Release: in.Release, Out: in.Out, Zip: in.Zip, Force: in.Force,
		Now: now, Tool: "cradle " + a.Version}
	if in.Placed != "" {
		if o.PlacedOnMarket, err = time.Parse("2006-01-02", in.Placed); err != nil {
			return nil, Usagef("--placed %q: want YYYY-MM-DD", in.Placed)
		}
	}
	for _, s := range in.Inputs {
		i, err := evidence.ParseInput(s)
		if err != nil {
			return nil, Input(err)
		}
		o.Inputs = append(o.Inputs, i)
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	k, err := a.signer(h, in.Key)
	if err != nil {
		return nil, err
	}
	o.Signer = k
	o.Report = evidence.RenderReport
	r, err := evidence.Build(o)
	if err != nil {
		if errors.Is(err, evidence.ErrInput) {
			return nil, Input(err)
		}
		return nil, err
	}
	for _, w := range r.Warnings {
		a.warn(errors.New(w))
	}
	return r, nil
}

// EvidenceVerifyInput names a pack and the key to trust.
type EvidenceVerifyInput struct {
	Pack   string // directory or zip
	PubKey string // public key file; "" trusts the keys in $CRADLE_HOME
}

// EvidenceVerify checks every digest and the signature of a pack. An
// unreadable pack is an input error; one that does not hold is returned
// with its problems and a Findings error.
func (a *App) EvidenceVerify(_ context.Context, in EvidenceVerifyInput) (*evidence.Verification, error) {
	keys := signing.Keyring{}
	if in.PubKey != "" {
		pub, err := signing.LoadPublic(in.PubKey)
		if err != nil {
			return nil, Input(err)
		}
		keys.Add(pub)
	} else {
		h, err := a.Home()
		if err != nil {
			return nil, err
		}
		if keys, err = signing.LoadKeyring(h.Keys()); err != nil {
			return nil, Input(err)
		}
	}
	v, err := evidence.Verify(in.Pack, keys)
	if err != nil {
		return nil, Input(err)
	}
	if !v.OK() {
		return v, Findingsf("%s does not verify: %d problems", in.Pack, len(v.Problems))
	}
	return v, nil
}

// RiskInit writes a starter risk file; an existing one is kept unless
// force.
func (a *App) RiskInit(file string, force bool) (string, error) {
	if file == "" {
		file = risk.DefaultFile
	}
	if _, err := os.Lstat(file); err == nil && !force {
		return "", Usagef("%s exists; use --force to replace it", file)
	}
	b, err := risk.Starter()
	if err != nil {
		return "", err
	}
	if err := fileutil.WriteAtomic(file, b, 0o644); err != nil {
		return "", Usagef("write %s: %v", file, err)
	}
	return file, nil
}

// RiskCheck reads the risk file the product file names (or file when
// given) strictly and returns it with its warnings.
func (a *App) RiskCheck(productFile, file string) (*risk.File, []risk.Warning, error) {
	if file == "" {
		if productFile == "" {
			productFile = product.DefaultFile
		}
		p, _, err := a.LoadProduct(productFile)
		if err != nil {
			return nil, nil, err
		}
		if p.RiskAssessment == "" {
			return nil, nil, Usagef("%s names no risk_assessment; pass the risk file or add risk_assessment: %s", productFile, risk.DefaultFile)
		}
		file = filepath.Join(filepath.Dir(productFile), filepath.FromSlash(p.RiskAssessment))
	}
	b, err := fileutil.ReadBounded(file, 8<<20)
	if err != nil {
		return nil, nil, Input(err)
	}
	f, warns, err := risk.Parse(file, b)
	if err != nil {
		return nil, nil, Input(fmt.Errorf("%w", err))
	}
	return f, warns, nil
}
