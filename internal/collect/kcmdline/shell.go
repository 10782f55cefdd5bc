package kcmdline

import (
	"fmt"
	"strings"
)

// ShellVars evaluates the variable assignments of shell files sourced one
// after the other, as grub-mkconfig sources /etc/default/grub and
// grub.d/*.cfg: NAME=value words (also after export/readonly), with
// single and double quotes, backslash escapes and $NAME/${NAME}
// expansion. It is not a shell: commands are not run, an assignment
// inside if/case counts as if the branch were taken, and a value built
// with command substitution is kept as written and noted.
type ShellVars struct {
	vars  map[string]Var
	Notes []string
}

// Var is a variable's value and the assignment that set it last.
type Var struct {
	Value string
	File  string
	Line  int
}

// NewShellVars starts with no variables set.
func NewShellVars() *ShellVars { return &ShellVars{vars: map[string]Var{}} }

// Get returns the variable (the zero Var when unset).
func (s *ShellVars) Get(name string) Var { return s.vars[name] }

// shellKeywords start a new command when they stand where a command name
// would.
var shellKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "do": true, "done": true,
	"while": true, "until": true, "for": true, "case": true, "esac": true, "{": true, "}": true, "!": true,
}

// maxNotes bounds the notes kept.
const maxNotes = 20

// Source evaluates one file.
func (s *ShellVars) Source(file string, b []byte) {
	p := &shParser{src: string(b), line: 1, sh: s, file: file}
	p.run()
}

type shParser struct {
	src  string
	i    int
	line int
	sh   *ShellVars
	file string
}

type shWord struct {
	text   string
	assign string // NAME when the word is NAME=value
	value  string
	line   int
	subst  bool // holds $(…) or `…`
}

func (p *shParser) note(format string, a ...any) {
	if len(p.sh.Notes) < maxNotes {
		p.sh.Notes = append(p.sh.Notes, fmt.Sprintf("%s:%d: ", p.file, p.line)+fmt.Sprintf(format, a...))
	}
}

// run reads simple commands until the end: leading assignments without a
// command word (or after export/readonly) are applied.
func (p *shParser) run() {
	for p.i < len(p.src) {
		var words []shWord
		for {
			w, end := p.word()
			if w != nil {
				if len(words) == 0 && shellKeywords[w.text] {
					continue // a keyword starts the next command
				}
				words = append(words, *w)
			}
			if end {
				break
			}
		}
		p.apply(words)
	}
}

func (p *shParser) apply(words []shWord) {
	if len(words) == 0 {
		return
	}
	if words[0].text == "export" || words[0].text == "readonly" {
		words = words[1:]
	} else {
		for _, w := range words {
			if w.assign == "" {
				return // NAME=value cmd: the assignments are cmd's environment only
			}
		}
	}
	for _, w := range words {
		if w.assign == "" {
			continue
		}
		if w.subst {
			p.note("%s is set with command substitution, which is not run; its text is taken as written", w.assign)
		}
		p.sh.vars[w.assign] = Var{Value: w.value, File: p.file, Line: w.line}
	}
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// word reads the next word; end reports the end of a command (newline,
// ';', '&', '|' or the end of input).
func (p *shParser) word() (*shWord, bool) {
	// Blanks, comments, continuation lines.
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			p.i++
		case c == '\\' && p.i+1 < len(p.src) && p.src[p.i+1] == '\n':
			p.i += 2
			p.line++
		case c == '#':
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
		case c == '\n' || c == ';' || c == '&' || c == '|':
			p.i++
			if c == '\n' {
				p.line++
			}
			return nil, true
		default:
			return p.readWord(), false
		}
	}
	return nil, true
}

func (p *shParser) readWord() *shWord {
	w := &shWord{line: p.line}
	var text, val strings.Builder
	// NAME= prefix?
	j := p.i
	for j < len(p.src) && isNameByte(p.src[j], j == p.i) {
		j++
	}
	if j > p.i && j < len(p.src) && p.src[j] == '=' {
		w.assign = p.src[p.i:j]
		text.WriteString(p.src[p.i : j+1])
		p.i = j + 1
	}
	quote := byte(0)
	for p.i < len(p.src) {
		if val.Len() > MaxLineLen {
			p.note("a value longer than %d bytes is cut", MaxLineLen)
			break
		}
		c := p.src[p.i]
		if quote == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '&' || c == '|') {
			break
		}
		text.WriteByte(c)
		p.i++
		switch {
		case c == '\n':
			p.line++
			val.WriteByte(c)
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				val.WriteByte(c)
			}
		case c == '\\':
			if p.i < len(p.src) {
				n := p.src[p.i]
				p.i++
				text.WriteByte(n)
				switch {
				case n == '\n':
					p.line++ // line continuation
				case quote == '"' && !strings.ContainsRune("$`\"\\", rune(n)):
					val.WriteByte('\\')
					val.WriteByte(n)
				default:
					val.WriteByte(n)
				}
			}
		case c == '"':
			if quote == '"' {
				quote = 0
			} else {
				quote = '"'
			}
		case c == '\'' && quote == 0:
			quote = '\''
		case c == '`':
			// Command substitution: kept as written, up to the closing '`'.
			w.subst = true
			end := strings.IndexByte(p.src[p.i:], '`')
			if end < 0 {
				end = len(p.src) - p.i - 1
			}
			lit := p.src[p.i-1 : p.i+end+1]
			p.line += strings.Count(lit, "\n")
			p.i += end + 1
			val.WriteString(lit)
		case c == '$':
			val.WriteString(p.expand(w))
		default:
			val.WriteByte(c)
		}
	}
	w.text, w.value = text.String(), val.String()
	return w
}

// expand reads what follows a '$' (already consumed) and returns its value.
func (p *shParser) expand(w *shWord) string {
	if p.i >= len(p.src) {
		return "$"
	}
	c := p.src[p.i]
	switch {
	case c == '(':
		// Command substitution: kept as written, up to the matching ')'.
		w.subst = true
		depth, j := 0, p.i
		for ; j < len(p.src); j++ {
			switch p.src[j] {
			case '(':
				depth++
			case ')':
				depth--
			case '\n':
				p.line++
			}
			if depth == 0 {
				break
			}
		}
		j = min(j+1, len(p.src))
		lit := "$" + p.src[p.i:j]
		p.i = j
		return lit
	case c == '{':
		end := strings.IndexByte(p.src[p.i:], '}')
		if end < 0 {
			return "$"
		}
		expr := p.src[p.i+1 : p.i+end]
		p.i += end + 1
		name := expr
		if k := strings.IndexAny(expr, ":-=+?#%"); k >= 0 {
			name = expr[:k]
			p.note("${%s} is expanded as ${%s}", expr, name)
		}
		return p.sh.vars[name].Value
	case isNameByte(c, true):
		j := p.i
		for j < len(p.src) && isNameByte(p.src[j], false) {
			j++
		}
		name := p.src[p.i:j]
		p.i = j
		return p.sh.vars[name].Value
	}
	return "$"
}
