package rules

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Matches reports whether pattern (a rule id or path.Match glob) names at
// least one rule of s.
func (s *Set) Matches(pattern string) bool {
	for _, r := range s.Rules {
		if ok, _ := path.Match(pattern, r.ID); ok || pattern == r.ID {
			return true
		}
	}
	return false
}

// Unmatched explains why pattern names no rule of s, with the closest rule
// id (or glob) when one is close enough: `unknown rule "ssh.x11"; did you
// mean "ssh.x11_forwarding"?`. It returns "" when pattern matches a rule.
func (s *Set) Unmatched(pattern string) string {
	if s.Matches(pattern) {
		return ""
	}
	var msg string
	switch {
	case strings.TrimSpace(pattern) == "":
		return "empty rule id"
	case !isGlob(pattern):
		msg = fmt.Sprintf("unknown rule %q", pattern)
	default:
		if _, err := path.Match(pattern, ""); err != nil {
			return fmt.Sprintf("%q is not a rule id or glob", pattern)
		}
		msg = fmt.Sprintf("%q matches no rule", pattern)
	}
	if sug := s.Suggest(pattern); sug != "" {
		msg += fmt.Sprintf("; did you mean %q?", sug)
	}
	return msg
}

// UnknownID is Unmatched for a place that takes rule ids only: "" when id
// is a rule, else why not.
func (s *Set) UnknownID(id string) string {
	if _, ok := s.Lookup(id); ok {
		return ""
	}
	if msg := s.Unmatched(id); msg != "" {
		return msg
	}
	return fmt.Sprintf("%q is a glob; give a rule id", id)
}

// Suggest returns the rule id closest to pattern or, for a glob, the glob
// with its literal prefix corrected to the closest prefix of a rule id
// ("mounts.tmp.*" → "mount.tmp.*"); "" when nothing is close enough.
func (s *Set) Suggest(pattern string) string {
	ids := make([]string, len(s.Rules))
	for i, r := range s.Rules {
		ids[i] = r.ID
	}
	if !isGlob(pattern) {
		return Closest(pattern, ids)
	}
	i := strings.IndexAny(pattern, `*?[\`)
	prefix, rest := pattern[:i], pattern[i:]
	if prefix == "" {
		return ""
	}
	k := maxDistance(prefix)
	var cands []string
	for _, id := range ids {
		for n := max(1, len(prefix)-k); n <= min(len(id), len(prefix)+k); n++ {
			cands = append(cands, id[:n])
		}
	}
	slices.Sort(cands)
	c := Closest(prefix, slices.Compact(cands))
	if c == "" || !s.Matches(c+rest) {
		return ""
	}
	return c + rest
}

// Closest returns the candidate with the smallest edit distance to word
// (ties to the first in order), or "" when even that one is further than a
// typo: more than max(1, len(word)/3) edits. Case is ignored.
func Closest(word string, candidates []string) string {
	best, bestD := "", maxDistance(word)+1
	w := strings.ToLower(word)
	for _, c := range candidates {
		if d := editDistance(w, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func maxDistance(word string) int { return max(1, len(word)/3) }

func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// editDistance is the optimal string alignment distance between a and b
// in bytes (rule ids are ASCII): insertions, deletions, substitutions and
// transpositions of neighbours, the common typos, count one edit each.
func editDistance(a, b string) int {
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		pp, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, pp
	}
	return rows[1][len(b)]
}
