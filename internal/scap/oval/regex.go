package oval

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// Regex engines named in evidence.
const (
	EngineRE2     = "go-regexp"
	EngineRegexp2 = "regexp2"
)

// regexTimeout bounds one backtracking match; RE2 matches are linear.
const regexTimeout = 2 * time.Second

// Regex is a compiled OVAL (Perl-style) pattern. Patterns Go's RE2 engine
// accepts run there (linear time); those that need lookaround or
// backreferences, as real SCAP content does, run on regexp2 with a match
// timeout.
type Regex struct {
	Pattern string
	Engine  string
	re      *regexp.Regexp
	re2     *regexp2.Regexp
	// oneLine: the pattern is "^.*$", which matches exactly the strings
	// without a newline (object filenames "^.*$" test every file of a walk).
	oneLine bool
}

// regexCache holds compiled patterns by text (content reuses a few
// thousand); past maxCachedRegex entries new patterns are compiled uncached
// so hostile content cannot grow it without bound.
var (
	regexCache  sync.Map // pattern → *Regex or error
	regexCached atomic.Int64
)

const maxCachedRegex = 20000

// CompileRegex compiles an OVAL pattern, caching by pattern text.
func CompileRegex(pattern string) (*Regex, error) {
	if v, ok := regexCache.Load(pattern); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*Regex), nil
	}
	r, err := compileRegex(pattern)
	if regexCached.Add(1) <= maxCachedRegex {
		if err != nil {
			regexCache.Store(pattern, err)
		} else {
			regexCache.Store(pattern, r)
		}
	}
	return r, err
}

func compileRegex(pattern string) (*Regex, error) {
	pattern = translatePCRE(pattern)
	if re, err := regexp.Compile(pattern); err == nil {
		return &Regex{Pattern: pattern, Engine: EngineRE2, re: re, oneLine: pattern == "^.*$"}, nil
	}
	re2, err := regexp2.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	re2.MatchTimeout = regexTimeout
	return &Regex{Pattern: pattern, Engine: EngineRegexp2, re2: re2}, nil
}

// MatchString reports whether s contains a match.
func (r *Regex) MatchString(s string) (bool, error) {
	if r.oneLine {
		return !strings.Contains(s, "\n"), nil
	}
	if r.re != nil {
		return r.re.MatchString(s), nil
	}
	ok, err := r.re2.MatchString(s)
	if err != nil {
		return false, fmt.Errorf("pattern %q: %w", r.Pattern, err)
	}
	return ok, nil
}

// FindAllSubmatch returns up to n matches (n < 0: all), each as the whole
// match followed by its groups ("" for a group that did not take part).
func (r *Regex) FindAllSubmatch(s string, n int) ([][]string, error) {
	if r.re != nil {
		return r.re.FindAllStringSubmatch(s, n), nil
	}
	var out [][]string
	m, err := r.re2.FindStringMatch(s)
	for ; m != nil && err == nil && (n < 0 || len(out) < n); m, err = r.re2.FindNextMatch(m) {
		gs := m.Groups()
		row := make([]string, len(gs))
		for i := range gs {
			if len(gs[i].Captures) > 0 {
				row[i] = gs[i].String()
			}
		}
		out = append(out, row)
	}
	if err != nil {
		return out, fmt.Errorf("pattern %q: %w", r.Pattern, err)
	}
	return out, nil
}

// FindSubmatch returns the first match and its groups, or nil.
func (r *Regex) FindSubmatch(s string) ([]string, error) {
	all, err := r.FindAllSubmatch(s, 1)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// translatePCRE rewrites PCRE escapes neither engine knows into
// equivalents: \N (any character but a newline; SSG content uses it) is
// [^\n] outside a character class. \N{…} (a named character in Perl)
// is left alone, as are escaped backslashes.
func translatePCRE(p string) string {
	if !strings.Contains(p, `\N`) {
		return p
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			if p[i+1] == 'N' && !inClass && (i+2 >= len(p) || p[i+2] != '{') {
				b.WriteString(`[^\n]`)
			} else {
				b.WriteByte(c)
				b.WriteByte(p[i+1])
			}
			i++
			continue
		case c == '[' && !inClass:
			inClass = true
			// A ] right after [ or [^ is a literal member.
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
