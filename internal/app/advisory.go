package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/csaf"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/psirt"
	"github.com/cradle-cra/cradle/internal/signing"
)

// AdvisoryInput selects the case and where its advisory goes.
type AdvisoryInput struct {
	Case   string
	Store  string // default $CRADLE_HOME/cases/cases.db
	Config string // product file; default ./cradle.yaml
	Out    string // directory of the two documents; "" is the current one
	// Final publishes: when the content differs from the last published
	// revision, a new revision is recorded in the case (and the change
	// log). Without it the documents are a draft (nothing published yet)
	// or interim (changes since the last revision).
	Final   bool
	Summary string // the new revision's summary
	// Provider, when set, is a web root to lay the CSAF provider tree
	// and security.txt out under.
	Provider string
	Actor    string
}

// Advisory writes the case's CSAF 2.0 security advisory and VEX
// documents (and, with Provider, publishes them in the provider tree).
func (a *App) Advisory(ctx context.Context, in AdvisoryInput) (*csaf.Result, error) {
	file := in.Config
	if file == "" {
		file = product.DefaultFile
	}
	p, _, err := a.LoadProduct(file)
	if err != nil {
		return nil, err
	}
	if err := csaf.Check(p); err != nil {
		return nil, Usagef("%s: %v", file, err)
	}
	s, err := a.openCases(ctx, in.Store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetClock(a.now)
	c, err := s.Get(ctx, in.Case)
	if errors.Is(err, casestore.ErrNotFound) {
		return nil, Usagef("%v", err)
	}
	if err != nil {
		return nil, err
	}
	sev, _, err := psirt.Rate(c)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	cin := csaf.Input{Case: c, Product: p, Severity: sev, Engine: csaf.Engine{Name: "cradle", Version: a.Version}}
	if c.Status == casestore.Closed {
		evs, err := s.Events(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.Action == "close" {
				cin.Impact = e.Note
			}
		}
	}
	var revs []casestore.Revision
	if c.Advisory != nil {
		revs = c.Advisory.Revisions
	}
	now := a.now()
	// The content digest, with a tracking that does not depend on it.
	probe, _ := csaf.Track(revs, "", false, "", now)
	docs, err := buildBoth(cin, probe)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	digest := csaf.Digest(docs...)
	tr, added := csaf.Track(revs, digest, in.Final, in.Summary, now)
	if docs, err = buildBoth(cin, tr); err != nil {
		return nil, Usagef("%v", err)
	}
	if added != nil {
		if err := a.recordCases(ctx, s, in.Store); err != nil {
			return nil, err
		}
		if _, err := s.Update(ctx, c.ID, actorOr(in.Actor), "advisory revision "+fmt.Sprint(added.Number)+": "+added.Summary,
			func(c *casestore.Case) (string, error) {
				if c.Advisory == nil {
					c.Advisory = &casestore.Advisory{}
				}
				c.Advisory.Revisions = append(c.Advisory.Revisions, *added)
				return "advisory", nil
			}); err != nil {
			return nil, err
		}
	}
	res := csaf.NewResult(now, c.ID, tr)
	out := in.Out
	if out == "" {
		out = "."
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, Usagef("%v", err)
	}
	for _, d := range docs {
		b, err := csaf.Marshal(d)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(out, csaf.FileName(d.Document.Tracking.ID))
		if err := fileutil.WriteAtomic(path, b, 0o644); err != nil {
			return nil, Usagef("write %s: %v", path, err)
		}
		sum := sha256.Sum256(b)
		res.Documents = append(res.Documents, csaf.Written{Profile: d.Document.Category, TrackingID: d.Document.Tracking.ID,
			Path: path, SHA256: hex.EncodeToString(sum[:])})
	}
	if tr.Status == csaf.StatusDraft {
		res.Notes = append(res.Notes, "draft: nothing is published until cradle advisory --final")
	}
	if in.Provider != "" {
		pub, err := a.publish(in.Provider, p, docs)
		if err != nil {
			return nil, err
		}
		res.Provider = pub
		res.Notes = append(res.Notes, "signatures (.sig) are ed25519 by the cradle signing key; CSAF trusted providers also need OpenPGP .asc signatures made with the organisation's key")
	}
	return res, nil
}

func buildBoth(in csaf.Input, tr csaf.Tracking) ([]*csaf.Document, error) {
	in.Tracking = tr
	var docs []*csaf.Document
	for _, prof := range []string{csaf.ProfileAdvisory, csaf.ProfileVEX} {
		d, err := csaf.Build(in, prof)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

func (a *App) publish(root string, p *product.File, docs []*csaf.Document) ([]csaf.Written, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	if err := h.Ensure(); err != nil {
		return nil, Input(err)
	}
	key, err := a.signer(h, "")
	if err != nil {
		return nil, err
	}
	pem, err := signing.MarshalPublic(key.Public())
	if err != nil {
		return nil, err
	}
	pub, err := csaf.Publish(root, p, docs, csaf.Signer{KeyID: key.ID(), Sign: key.Sign, PublicPEM: pem}, a.now())
	if err != nil {
		if strings.Contains(err.Error(), "draft") || strings.Contains(err.Error(), "https") {
			return nil, Usagef("%v", err)
		}
		return nil, err
	}
	var out []csaf.Written
	for _, x := range pub {
		out = append(out, csaf.Written{Path: filepath.Join(root, filepath.FromSlash(x.Path)), SHA256: x.SHA256})
	}
	return out, nil
}
