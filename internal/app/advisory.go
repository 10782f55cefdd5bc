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
	"github.com/cradle-cra/cradle/internal/pgp"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/psirt"
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
	// OpenPGPKey is the organisation's armored OpenPGP private key file
	// that signs the provider tree (passphrase in $CRADLE_OPENPGP_PASSPHRASE
	// when encrypted); "" uses the key cradle generates once in
	// $CRADLE_HOME/keys.
	OpenPGPKey string
	Actor      string
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
		pub, notes, err := a.publish(in.Provider, in.OpenPGPKey, p, docs)
		if err != nil {
			return nil, err
		}
		res.Provider = pub
		res.Notes = append(res.Notes, notes...)
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

func (a *App) publish(root, keyFile string, p *product.File, docs []*csaf.Document) ([]csaf.Written, []string, error) {
	key, origin, err := a.openPGPKey(keyFile, p)
	if err != nil {
		return nil, nil, err
	}
	tree, err := csaf.Publish(root, p, docs, key, a.now())
	if err != nil {
		if strings.Contains(err.Error(), "draft") || strings.Contains(err.Error(), "https") {
			return nil, nil, Usagef("%v", err)
		}
		return nil, nil, err
	}
	var out []csaf.Written
	for _, x := range tree.Documents {
		out = append(out, csaf.Written{Path: filepath.Join(root, filepath.FromSlash(x.Path)), SHA256: x.SHA256})
	}
	notes := []string{fmt.Sprintf("OpenPGP signatures (.asc) and security.txt signed by %s %s; public key at %s/openpgp/%s.asc", origin, tree.Fingerprint, csaf.WellKnown, tree.Fingerprint)}
	if tree.Role == csaf.RoleProvider {
		notes = append(notes, fmt.Sprintf("role csaf_provider, not csaf_trusted_provider: %d document(s) of the tree without hashes or a valid signature by a published key: %s",
			len(tree.Unsigned), strings.Join(tree.Unsigned, ", ")))
	}
	return out, notes, nil
}

// openPGPKey is the organisation's key file when given, else the key
// cradle generated in its home for the manufacturer.
func (a *App) openPGPKey(file string, p *product.File) (*pgp.Key, string, error) {
	if file != "" {
		k, err := pgp.Load(file, []byte(a.getenv(pgp.EnvPassphrase)))
		if err != nil {
			return nil, "", Input(err)
		}
		return k, "the organisation key", nil
	}
	h, err := a.Home()
	if err != nil {
		return nil, "", err
	}
	if err := h.Ensure(); err != nil {
		return nil, "", Input(err)
	}
	k, err := pgp.LoadOrCreate(h.Keys(), p.Manufacturer.Name, keyEmail(p), a.now())
	if err != nil {
		return nil, "", Input(err)
	}
	return k, "the key cradle generated (" + filepath.Join(h.Keys(), pgp.GeneratedFile) + "; an organisation key, --openpgp-key, is what consumers of a trusted provider expect)", nil
}

// keyEmail is the e-mail of the generated key's user id: the security
// contact when it is an address, else a PSIRT contact, else the
// manufacturer's.
func keyEmail(p *product.File) string {
	if c := strings.TrimPrefix(p.Security.Contact, "mailto:"); strings.Contains(c, "@") && !strings.Contains(c, "/") {
		return c
	}
	for _, c := range p.Manufacturer.Contacts {
		if r := strings.ToLower(c.Role); c.Email != "" && (strings.Contains(r, "psirt") || strings.Contains(r, "security")) {
			return c.Email
		}
	}
	return p.Manufacturer.Email
}
