package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/fileutil"
)

// Problem is one way a pack does not hold.
type Problem struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

func (p Problem) String() string { return p.Path + ": " + p.Problem }

// Verification is the outcome of Verify.
type Verification struct {
	Pack     string
	KeyID    string
	Files    int
	Manifest *Manifest
	Problems []Problem
}

// OK reports whether every digest and the signature hold.
func (v *Verification) OK() bool { return len(v.Problems) == 0 }

// ErrUnreadable: the pack could not be read at all (exit code 2), as
// opposed to a pack that reads but does not verify.
var ErrUnreadable = errors.New("evidence pack unreadable")

var errMissing = errors.New("missing")

type source interface {
	list() ([]string, []Problem, error)
	read(name string, limit int64) ([]byte, error)
}

// Verify checks a pack directory or zip: the manifest's signature by a
// trusted key, every listed file's size and SHA-256, and that no file is
// missing or added.
func Verify(pack string, keys envelope.Keys) (*Verification, error) {
	fi, err := os.Stat(pack)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if fi.IsDir() {
		return verify(pack, &dirSource{root: pack}, keys)
	}
	f, err := fileutil.OpenRegular(pack)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	defer f.Close()
	zs, err := newZipSource(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreadable, pack, err)
	}
	return verify(pack, zs, keys)
}

// VerifyZip checks a zip held in memory (tests, fuzzing).
func VerifyZip(name string, data []byte, keys envelope.Keys) (*Verification, error) {
	zs, err := newZipSource(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreadable, name, err)
	}
	return verify(name, zs, keys)
}

func verify(name string, src source, keys envelope.Keys) (*Verification, error) {
	v := &Verification{Pack: name}
	names, bad, err := src.list()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreadable, name, err)
	}
	v.Problems = append(v.Problems, bad...)
	manBytes, err := src.read(ManifestFile, maxZipMeta)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %v (not an evidence pack?)", ErrUnreadable, name, ManifestFile, err)
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(manBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil || man.Kind != ManifestKind {
		v.Problems = append(v.Problems, Problem{ManifestFile, "not an evidence manifest"})
	}
	v.Manifest = &man
	v.Problems = append(v.Problems, checkSignature(src, manBytes, keys, v)...)
	listed := map[string]bool{ManifestFile: true, SignatureFile: true}
	for _, f := range man.Files {
		if listed[f.Path] {
			v.Problems = append(v.Problems, Problem{f.Path, "listed twice in the manifest"})
			continue
		}
		listed[f.Path] = true
		if !validEntryName(f.Path) || f.Size < 0 {
			v.Problems = append(v.Problems, Problem{f.Path, "unsafe path or size in the manifest"})
			continue
		}
		b, err := src.read(f.Path, min(f.Size, MaxInputFile)+1)
		switch {
		case errors.Is(err, errMissing):
			v.Problems = append(v.Problems, Problem{f.Path, "missing"})
		case err != nil:
			v.Problems = append(v.Problems, Problem{f.Path, "unreadable: " + err.Error()})
		case int64(len(b)) != f.Size || digest(b) != f.SHA256:
			v.Problems = append(v.Problems, Problem{f.Path, "content changed (SHA-256 does not match the manifest)"})
		default:
			v.Files++
		}
	}
	for _, n := range names {
		if !listed[n] {
			v.Problems = append(v.Problems, Problem{n, "not listed in the manifest (added)"})
		}
	}
	slices.SortStableFunc(v.Problems, func(a, b Problem) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return v, nil
}

func checkSignature(src source, manBytes []byte, keys envelope.Keys, v *Verification) []Problem {
	sig, err := src.read(SignatureFile, maxZipMeta)
	if err != nil {
		return []Problem{{SignatureFile, "signature missing or unreadable"}}
	}
	env, err := envelope.Parse(bytes.TrimSpace(sig))
	if err != nil {
		return []Problem{{SignatureFile, err.Error()}}
	}
	payload, keyID, err := envelope.Verify(env, envelope.TypeEvidencePack, keys)
	if err != nil {
		return []Problem{{SignatureFile, err.Error()}}
	}
	v.KeyID = keyID
	if !bytes.Equal(payload, manBytes) {
		return []Problem{{ManifestFile, "does not match its signature (edited after signing)"}}
	}
	return nil
}

// dirSource reads a pack directory; symbolic links and special files are
// problems, never followed.
type dirSource struct{ root string }

func (d *dirSource) list() ([]string, []Problem, error) {
	var names []string
	var bad []Problem
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case e.IsDir():
			return nil
		case e.Type().IsRegular():
			names = append(names, rel)
		default:
			bad = append(bad, Problem{rel, "not a regular file"})
		}
		if len(names) > maxZipEntries {
			return fmt.Errorf("more than %d files", maxZipEntries)
		}
		return nil
	})
	return names, bad, err
}

func (d *dirSource) read(name string, limit int64) ([]byte, error) {
	p := filepath.Join(d.root, filepath.FromSlash(name))
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errMissing
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	return fileutil.ReadBounded(p, limit)
}
