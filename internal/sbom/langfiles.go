package sbom

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// Bounds on the language packages' file lists: a RECORD file's size,
// the files of one package, the depth of its directory.
const (
	maxRecord       = 16 << 20
	maxLangFiles    = 100000
	maxPackageDepth = 32
)

// hashLangFiles hashes the files of the catalogued components whose
// installed files are known — Python distributions by their dist-info
// RECORD, npm packages by their directory in node_modules (nested
// node_modules left out) — as hashFiles does for the package databases:
// the component's SHA-512 over its files' sha512sum lines. Others keep
// the reasons catalogFacts gave.
func hashLangFiles(ctx context.Context, t target.Target, comps []Component, workers int) error {
	var idx []int
	var lists []fileList
	for i, c := range comps {
		if c.Manager != "" || c.Type == TypeFile || c.SHA512 != "" {
			continue
		}
		var l fileList
		switch cataloger(c) {
		case "python-installed":
			if !strings.HasSuffix(c.Found, ".dist-info/METADATA") {
				continue
			}
			var ok bool
			if l, ok = recordList(t, c.Found); !ok {
				continue // no RECORD: the metadata lists no files
			}
		case "npm-installed":
			l = packageDirList(ctx, t, path.Dir(c.Found))
		default:
			continue
		}
		idx, lists = append(idx, i), append(lists, l)
	}
	if len(idx) == 0 {
		return nil
	}
	sub := make([]Component, len(idx))
	for k, i := range idx {
		sub[k] = comps[i]
	}
	if err := hashLists(ctx, t, sub, lists, workers); err != nil {
		return err
	}
	for k, i := range idx {
		c := sub[k]
		if c.SHA512 != "" {
			for _, f := range []string{FieldHash, FieldExecutable, "archive", "structured"} {
				delete(c.Unavailable, f)
			}
			c.unavailable(FieldFilename, noSingleFile)
		}
		comps[i] = c
	}
	return nil
}

// cataloger is the cataloger that found c.
func cataloger(c Component) string {
	for _, p := range c.Properties {
		if p.Name == "cradle:cataloger" {
			return p.Value
		}
	}
	return ""
}

// recordList reads the RECORD next to a dist-info METADATA: CSV rows of
// path (relative to the site-packages directory), hash and size.
// ok is false when there is no RECORD.
func recordList(t target.Target, metadata string) (l fileList, ok bool) {
	dist := path.Dir(metadata)
	b, err := target.ReadFileLimit(t, strings.TrimPrefix(dist+"/RECORD", "/"), maxRecord)
	if errors.Is(err, fs.ErrNotExist) {
		return fileList{}, false
	}
	if err != nil {
		return fileList{why: "the distribution's RECORD cannot be read: " + err.Error()}, true
	}
	paths, err := parseRecord(b, path.Dir(dist))
	if err != nil {
		return fileList{why: "the distribution's RECORD: " + err.Error()}, true
	}
	return fileList{paths: paths}, true
}

// parseRecord returns the absolute, clean, distinct paths of a RECORD
// whose paths are relative to site.
func parseRecord(b []byte, site string) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	seen := map[string]bool{}
	var out []string
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(row) == 0 || row[0] == "" {
			continue
		}
		p := row[0]
		if !path.IsAbs(p) {
			p = path.Join(site, p)
		}
		p = path.Clean("/" + p)
		if !seen[p] {
			if len(out) >= maxLangFiles {
				return nil, errors.New("too many files")
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// packageDirList lists the regular files under an npm package's
// directory, its own node_modules left out (those are packages of their
// own).
func packageDirList(ctx context.Context, t target.Target, dir string) fileList {
	var out []string
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if depth > maxPackageDepth {
			return errors.New("directory nesting over the bound")
		}
		ents, err := t.ReadDir(strings.TrimPrefix(d, "/"))
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := d + "/" + e.Name
			switch {
			case e.Type.IsDir() && e.Name != "node_modules":
				if err := walk(p, depth+1); err != nil {
					return err
				}
			case e.Type.IsRegular():
				if len(out) >= maxLangFiles {
					return errors.New("too many files")
				}
				out = append(out, p)
			}
		}
		return nil
	}
	if err := walk(dir, 0); err != nil {
		return fileList{why: "the package directory " + dir + ": " + err.Error()}
	}
	sort.Strings(out)
	return fileList{paths: out}
}
