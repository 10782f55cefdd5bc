// Package limits parses pam_limits(8) configuration: limits.conf(5) and
// the *.conf files of limits.d, in the order pam_limits reads them.
package limits

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Entry is one "<domain> <type> <item> <value>" line.
type Entry struct {
	Domain string `json:"domain"`
	Type   string `json:"type"` // soft, hard or "-" (both)
	Item   string `json:"item"`
	Value  string `json:"value"`
	File   string `json:"file"`
	Line   int    `json:"line"`
}

// Config is the ordered entries of every limits file.
type Config struct {
	Files   []string `json:"files"`
	Entries []Entry  `json:"entries"`
}

// Key is the fact-store key.
const Key = "limits"

// Get returns the memoised limits configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads /etc/security/limits.conf and /etc/security/limits.d/*.conf.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{}
	files := []string{"etc/security/limits.conf"}
	d, err := target.Glob(t, "etc/security/limits.d", "*.conf")
	if err != nil {
		return nil, fmt.Errorf("list /etc/security/limits.d: %w", err)
	}
	files = append(files, d...)
	for _, f := range files {
		b, err := target.ReadFile(t, f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", target.Abs(f), err)
		}
		c.Files = append(c.Files, target.Abs(f))
		c.Entries = append(c.Entries, Parse(b, target.Abs(f))...)
	}
	return c, nil
}

// Parse parses one limits file; malformed lines are skipped.
func Parse(b []byte, file string) []Entry {
	var out []Entry
	for i, line := range textline.Split(b) {
		n := i + 1
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		typ := strings.ToLower(f[1])
		if typ != "soft" && typ != "hard" && typ != "-" {
			continue
		}
		out = append(out, Entry{Domain: f[0], Type: typ, Item: strings.ToLower(f[2]), Value: f[3], File: file, Line: n})
	}
	return out
}
