package sshd

import (
	"strings"

	"github.com/cradle-cra/cradle/internal/textline"
)

// Line is one non-empty, non-comment line of an sshd_config file, split the
// way sshd splits it.
type Line struct {
	Num     int    `json:"line"`
	Keyword string `json:"keyword"` // canonical spelling when known, else as written
	// Spelling is the keyword as written, lower-cased: sshd's table
	// gives some aliases other flags than the keyword they set
	// (DSAAuthentication is global-only, PubkeyAuthentication is not).
	Spelling string   `json:"-"`
	Args     []string `json:"args"`
	// Err is set when the line is malformed (unterminated quote, missing
	// argument); sshd refuses to start on such a line.
	Err string `json:"error,omitempty"`
}

// Parse splits sshd_config(5) content into lines: the keyword is separated
// from its arguments by whitespace or one "=", arguments follow sshd's
// argv_split rules (double or single quotes, backslash escapes of quotes,
// backslashes and spaces, and a "#" starting an argument ends the line).
func Parse(b []byte) []Line {
	var out []Line
	n := 0
	for _, text := range textline.Split(b) {
		n++
		if l, ok := parseLine(text); ok {
			l.Num = n
			out = append(out, l)
		}
	}
	return out
}

func parseLine(s string) (Line, bool) {
	s = strings.TrimRight(s, " \t\r\f\n")
	s = strings.TrimLeft(s, " \t\r\f")
	if s == "" || s[0] == '#' {
		return Line{}, false
	}
	i := strings.IndexAny(s, " \t=")
	var kw, rest string
	if i < 0 {
		kw = s
	} else {
		kw, rest = s[:i], s[i:]
		rest = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(rest, "=") {
			rest = strings.TrimLeft(rest[1:], " \t")
		}
	}
	l := Line{Keyword: Canonical(kw), Spelling: strings.ToLower(kw)}
	if kw == "" {
		return Line{}, false
	}
	args, err := splitArgs(rest)
	l.Args = args
	switch {
	case err != "":
		l.Err = err
	case len(args) == 0:
		l.Err = "no argument after keyword"
	}
	return l, true
}

// splitArgs implements OpenSSH's argv_split with comment termination.
func splitArgs(s string) ([]string, string) {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		quote := byte(0)
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				nx := s[i+1]
				if nx == '\'' || nx == '"' || nx == '\\' || (quote == 0 && nx == ' ') {
					arg.WriteByte(nx)
					i++
					continue
				}
			}
			if quote == 0 && (c == ' ' || c == '\t') {
				break
			}
			if quote == 0 && (c == '"' || c == '\'') {
				quote = c
				continue
			}
			if quote != 0 && c == quote {
				quote = 0
				continue
			}
			arg.WriteByte(c)
		}
		if quote != 0 {
			return out, "unterminated quote"
		}
		out = append(out, arg.String())
	}
	return out, ""
}
