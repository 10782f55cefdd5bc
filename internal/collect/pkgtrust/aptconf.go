package pkgtrust

import (
	"fmt"
	"strings"
)

// Assignment is the effective value of one apt.conf option and where it
// was set.
type Assignment struct {
	Key   string   `json:"key"` // as written, fully scoped ("APT::Periodic::Unattended-Upgrade")
	Value string   `json:"value"`
	List  []string `json:"list,omitempty"` // list items ("Key { "a"; "b"; };"), accumulated across files
	// ListLines holds the line of each list item (files may differ: see
	// ListFiles).
	ListLines []int    `json:"-"`
	ListFiles []string `json:"-"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
}

// AptConf is the merged APT configuration: keys are compared without
// case, and a later assignment replaces an earlier one.
type AptConf struct {
	Values map[string]Assignment `json:"values"` // lower-cased key
	Files  []string              `json:"files"`
}

// Lookup returns the effective assignment of key.
func (c *AptConf) Lookup(key string) (Assignment, bool) {
	if c == nil {
		return Assignment{}, false
	}
	a, ok := c.Values[strings.ToLower(key)]
	return a, ok
}

// ParseAptConf merges one apt.conf(5) file into c. The syntax is a tree of
// "Key::Sub value;" statements, "Key { Sub value; ... };" scopes, list
// items without a key, C and C++ comments, "#" comments and the
// "#clear Key;" and "#include FILE;" directives; an include is an error
// here (see AptIncluder).
func (c *AptConf) ParseAptConf(b []byte, file string) error {
	return c.parse(b, file, nil, 0)
}

// AptIncluder reads what "#include" names, as apt's ReadConfigFile does
// (apt-pkg/contrib/configuration.cc): a name ending in "/" is a
// directory whose parts are read in order (ReadConfigDir), anything else
// one file; both are read from the root, at most maxAptInclude deep.
type AptIncluder interface {
	// Parts lists the files of an included directory in reading order.
	Parts(dir string) ([]string, error)
	// Read returns the content of a file and its absolute name.
	Read(name string) ([]byte, string, error)
}

// maxAptInclude is apt's nesting limit ("Too many nested includes").
const maxAptInclude = 10

// ParseAptConfFile reads file through inc and merges it, following
// its includes.
func (c *AptConf) ParseAptConfFile(inc AptIncluder, file string) error {
	return c.parseFile(inc, file, 0)
}

func (c *AptConf) parseFile(inc AptIncluder, file string, depth int) error {
	b, abs, err := inc.Read(file)
	if err != nil {
		return err
	}
	return c.parse(b, abs, inc, depth)
}

// include handles "#include arg" found in file at line.
func (c *AptConf) include(inc AptIncluder, arg, file string, line, depth int) error {
	if inc == nil {
		return fmt.Errorf("%s:%d: #include %s is not followed here", file, line, arg)
	}
	if depth >= maxAptInclude {
		return fmt.Errorf("%s:%d: too many nested includes", file, line)
	}
	if !strings.HasPrefix(arg, "/") {
		// apt opens a relative name from its working directory, which
		// differs between apt, unattended-upgrades and cron jobs.
		return fmt.Errorf("%s:%d: #include %q is relative to apt's working directory, which is not known", file, line, arg)
	}
	if len(arg) > 2 && strings.HasSuffix(arg, "/") {
		parts, err := inc.Parts(arg)
		if err != nil {
			return fmt.Errorf("%s:%d: #include %s: %w", file, line, arg, err)
		}
		for _, p := range parts {
			if err := c.parseFile(inc, p, depth+1); err != nil {
				return fmt.Errorf("%w (included from %s:%d)", err, file, line)
			}
		}
		return nil
	}
	if err := c.parseFile(inc, arg, depth+1); err != nil {
		return fmt.Errorf("%w (included from %s:%d)", err, file, line)
	}
	return nil
}

func (c *AptConf) parse(b []byte, file string, inc AptIncluder, depth int) error {
	if c.Values == nil {
		c.Values = map[string]Assignment{}
	}
	c.Files = append(c.Files, file)
	lx := &aptLexer{s: string(b), line: 1}
	var stack []string // enclosing scopes
	for {
		tok, line, err := lx.next()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, lx.line, err)
		}
		switch tok.kind {
		case tEOF:
			if len(stack) > 0 {
				return fmt.Errorf("%s:%d: unterminated block %q", file, line, strings.Join(stack, "::"))
			}
			return nil
		case tClose:
			if len(stack) == 0 {
				return fmt.Errorf("%s:%d: unbalanced '}'", file, line)
			}
			stack = stack[:len(stack)-1]
			continue
		case tSemi:
			continue
		case tDirective:
			word, arg, _ := strings.Cut(strings.TrimSpace(tok.text), " ")
			arg = strings.Trim(strings.TrimSpace(arg), `"`)
			if len(stack) > 0 {
				return fmt.Errorf("%s:%d: directives can only be done at the top level", file, line)
			}
			switch word {
			case "clear":
				c.clear(arg)
			case "include":
				if err := c.include(inc, arg, file, line, depth); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%s:%d: unsupported directive #%s", file, line, word)
			}
			continue
		}
		// A statement: key [value] (';' | '{').
		first := tok
		tok2, _, err := lx.next()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, lx.line, err)
		}
		switch {
		case tok2.kind == tOpen:
			if len(stack) > 64 {
				return fmt.Errorf("%s:%d: blocks nested too deeply", file, line)
			}
			stack = append(stack, first.text)
		case tok2.kind == tSemi && first.kind == tString && len(stack) > 0:
			// A list item: "value"; inside a scope.
			key := strings.Join(stack, "::")
			a := c.Values[strings.ToLower(key)]
			a.Key, a.File, a.Line = key, file, line
			a.List = append(a.List, first.text)
			a.ListLines = append(a.ListLines, line)
			a.ListFiles = append(a.ListFiles, file)
			c.Values[strings.ToLower(key)] = a
		case tok2.kind == tSemi:
			c.set(scoped(stack, first.text), "", file, line)
		case tok2.kind == tString || tok2.kind == tWord:
			tok3, _, err := lx.next()
			if err != nil {
				return fmt.Errorf("%s:%d: %w", file, lx.line, err)
			}
			switch tok3.kind {
			case tSemi:
				c.set(scoped(stack, first.text), tok2.text, file, line)
			case tOpen: // "Key value {" is not valid apt.conf; treat as scope
				stack = append(stack, first.text)
			default:
				return fmt.Errorf("%s:%d: expected ';' after value of %s", file, line, first.text)
			}
		default:
			return fmt.Errorf("%s:%d: unexpected token after %q", file, line, first.text)
		}
	}
}

func scoped(stack []string, key string) string {
	if len(stack) == 0 {
		return key
	}
	return strings.Join(stack, "::") + "::" + key
}

func (c *AptConf) set(key, value, file string, line int) {
	c.Values[strings.ToLower(key)] = Assignment{Key: key, Value: value, File: file, Line: line}
}

func (c *AptConf) clear(key string) {
	k := strings.ToLower(key)
	for n := range c.Values {
		if n == k || strings.HasPrefix(n, k+"::") {
			delete(c.Values, n)
		}
	}
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tOpen
	tClose
	tSemi
	tDirective
)

type token struct {
	kind tokKind
	text string
}

type aptLexer struct {
	s    string
	i    int
	line int
	bol  bool // only whitespace since the last newline
}

func (l *aptLexer) next() (token, int, error) {
	for l.i < len(l.s) {
		ch := l.s[l.i]
		switch {
		case ch == '\n':
			l.line++
			l.i++
		case ch == ' ' || ch == '\t' || ch == '\r':
			l.i++
		case strings.HasPrefix(l.s[l.i:], "//"):
			l.skipLine()
		case strings.HasPrefix(l.s[l.i:], "/*"):
			end := strings.Index(l.s[l.i+2:], "*/")
			if end < 0 {
				return token{}, l.line, fmt.Errorf("unterminated comment")
			}
			l.line += strings.Count(l.s[l.i:l.i+2+end], "\n")
			l.i += end + 4
		case ch == '#':
			rest := l.s[l.i+1:]
			if strings.HasPrefix(rest, "clear") || strings.HasPrefix(rest, "include") {
				end := strings.IndexAny(rest, ";\n")
				if end < 0 {
					end = len(rest)
				}
				line := l.line
				text := rest[:end]
				l.i += 1 + end
				return token{tDirective, text}, line, nil
			}
			l.skipLine()
		case ch == '{':
			l.i++
			return token{tOpen, "{"}, l.line, nil
		case ch == '}':
			l.i++
			return token{tClose, "}"}, l.line, nil
		case ch == ';':
			l.i++
			return token{tSemi, ";"}, l.line, nil
		case ch == '"':
			end := strings.IndexByte(l.s[l.i+1:], '"')
			if end < 0 {
				return token{}, l.line, fmt.Errorf("unterminated string")
			}
			line := l.line
			text := l.s[l.i+1 : l.i+1+end]
			l.line += strings.Count(text, "\n")
			l.i += end + 2
			return token{tString, text}, line, nil
		default:
			start := l.i
			for l.i < len(l.s) && !strings.ContainsRune(" \t\r\n{};\"", rune(l.s[l.i])) && !strings.HasPrefix(l.s[l.i:], "//") {
				l.i++
			}
			return token{tWord, l.s[start:l.i]}, l.line, nil
		}
	}
	return token{tEOF, ""}, l.line, nil
}

func (l *aptLexer) skipLine() {
	for l.i < len(l.s) && l.s[l.i] != '\n' {
		l.i++
	}
}
