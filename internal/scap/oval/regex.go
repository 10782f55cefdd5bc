package oval

import (
	"fmt"
	"regexp"
	"sync"
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
}

var regexCache sync.Map // pattern → *Regex or error

// CompileRegex compiles an OVAL pattern, caching by pattern text.
func CompileRegex(pattern string) (*Regex, error) {
	if v, ok := regexCache.Load(pattern); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*Regex), nil
	}
	r, err := compileRegex(pattern)
	if err != nil {
		regexCache.Store(pattern, err)
		return nil, err
	}
	regexCache.Store(pattern, r)
	return r, nil
}

func compileRegex(pattern string) (*Regex, error) {
	if re, err := regexp.Compile(pattern); err == nil {
		return &Regex{Pattern: pattern, Engine: EngineRE2, re: re}, nil
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
