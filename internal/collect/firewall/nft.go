package firewall

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// The nftables ruleset language, as `nft -f` reads it (nft(8)): tables
// in a family (ip when omitted) hold chains; a base chain has
// `type filter hook input priority N; policy drop;`; rules are
// statements; `include "file"` (globs allowed, relative paths searched in
// the default include directory /etc), `define NAME = value` with $NAME,
// `flush ruleset`, `add|insert|create|delete|flush table|chain|rule`
// commands. Statements end at a newline or `;`; `#` starts a comment;
// a trailing backslash continues a line. Only what decides the filter
// policy is modelled: chains, hooks, policies and the rules' matches and
// verdicts; sets, maps, flowtables and objects are skipped.

// Limits on hostile configuration.
const (
	maxTokens   = 1 << 20 // per file
	maxChains   = 4096
	maxRules    = 1 << 16
	maxIncludes = 16 // nesting
	maxFiles    = 256
	maxDefine   = 8 // $var expansion depth
)

type token struct {
	text string
	line int
	str  bool // a quoted string
}

// end tokens: statement separators.
func (t token) end() bool { return !t.str && (t.text == "\n" || t.text == ";") }

// lexNft splits nft source into tokens: words, quoted strings, braces,
// and "\n"/";" separators; comments dropped, continuations joined.
func lexNft(src string) ([]token, error) {
	var out []token
	line := 1
	i := 0
	push := func(t token) error {
		if len(out) >= maxTokens {
			return errors.New("too many tokens")
		}
		out = append(out, t)
		return nil
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || (src[i+1] == '\r' && i+2 < len(src) && src[i+2] == '\n')):
			for src[i] != '\n' {
				i++
			}
			i++
			line++
		case c == '\n':
			if err := push(token{text: "\n", line: line}); err != nil {
				return nil, err
			}
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			j := strings.IndexAny(src[i+1:], "\"\n")
			if j < 0 || src[i+1+j] != '"' {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
			if err := push(token{text: src[i+1 : i+1+j], line: line, str: true}); err != nil {
				return nil, err
			}
			i += j + 2
		case c == '{' || c == '}' || c == ';' || c == ',':
			if err := push(token{text: string(c), line: line}); err != nil {
				return nil, err
			}
			i++
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n{};,#\"", rune(src[j])) {
				j++
			}
			if err := push(token{text: src[i:j], line: line}); err != nil {
				return nil, err
			}
			i = j
		}
	}
	return out, nil
}

// nftParser builds a Ruleset from nft source files.
type nftParser struct {
	rs      *Ruleset
	manager string
	defs    map[string][]token
	// open lists the root-relative files being read, for loop detection.
	open  []string
	files []string
	// include resolves an include argument (relative to the include
	// directory) to files in order; read returns one file's content.
	include func(arg string) ([]string, error)
	read    func(name string) ([]byte, error)
	rules   int
}

func newNftParser(manager string, include func(string) ([]string, error), read func(string) ([]byte, error)) *nftParser {
	return &nftParser{rs: &Ruleset{}, manager: manager, defs: map[string][]token{}, include: include, read: read}
}

// ParseNft parses one self-contained nft source (no includes) into a
// Ruleset; file names the source in evidence.
func ParseNft(src []byte, file string) (*Ruleset, error) {
	p := newNftParser("nftables", func(arg string) ([]string, error) {
		return nil, fmt.Errorf("include %q: includes are not read here", arg)
	}, nil)
	if err := p.parse(string(src), file); err != nil {
		return p.rs, err
	}
	return p.rs, nil
}

// file parses the named root-relative file.
func (p *nftParser) file(name string) error {
	if slices.Contains(p.open, name) {
		return fmt.Errorf("%s: include loop", "/"+name)
	}
	if len(p.open) >= maxIncludes {
		return fmt.Errorf("%s: includes nested more than %d deep", "/"+name, maxIncludes)
	}
	if len(p.files) >= maxFiles {
		return fmt.Errorf("more than %d files included", maxFiles)
	}
	b, err := p.read(name)
	if err != nil {
		return err
	}
	p.files = append(p.files, "/"+name)
	p.open = append(p.open, name)
	defer func() { p.open = p.open[:len(p.open)-1] }()
	return p.parse(string(b), "/"+name)
}

func (p *nftParser) parse(src, file string) error {
	toks, err := lexNft(src)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	s := &stream{toks: toks, file: file}
	for {
		s.skipEnds()
		if s.done() {
			return nil
		}
		if err := p.top(s); err != nil {
			return fmt.Errorf("%s:%d: %w", file, s.line(), err)
		}
	}
}

type stream struct {
	toks []token
	i    int
	file string
}

func (s *stream) done() bool { return s.i >= len(s.toks) }
func (s *stream) peek() token {
	if s.done() {
		return token{text: "\n"}
	}
	return s.toks[s.i]
}
func (s *stream) next() token { t := s.peek(); s.i++; return t }
func (s *stream) line() int {
	if s.i < len(s.toks) {
		return s.toks[s.i].line
	}
	if len(s.toks) > 0 {
		return s.toks[len(s.toks)-1].line
	}
	return 0
}
func (s *stream) skipEnds() {
	for !s.done() && s.peek().end() {
		s.i++
	}
}

// statement returns the tokens up to the end of the statement, keeping
// braced groups (anonymous sets, verdict maps) whole across lines.
func (s *stream) statement() []token {
	var out []token
	depth := 0
	for !s.done() {
		t := s.peek()
		if depth == 0 && (t.end() || (!t.str && t.text == "}")) {
			break
		}
		s.i++
		if !t.str && t.text == "{" {
			depth++
		} else if !t.str && t.text == "}" {
			depth--
		}
		if depth > 0 && t.end() {
			continue
		}
		out = append(out, t)
	}
	return out
}

// header returns the tokens up to a "{" or the end of the statement.
func (s *stream) header() []token {
	var out []token
	for !s.done() {
		t := s.peek()
		if !t.str && (t.end() || t.text == "{" || t.text == "}") {
			break
		}
		s.i++
		out = append(out, t)
	}
	return out
}

// skipBlock skips a { … } block whose "{" was just read.
func (s *stream) skipBlock() error {
	depth := 1
	for !s.done() {
		t := s.next()
		if t.str {
			continue
		}
		switch t.text {
		case "{":
			depth++
		case "}":
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
	return errors.New("unterminated block")
}

var families = map[string]bool{"ip": true, "ip6": true, "inet": true, "arp": true, "bridge": true, "netdev": true}

// famName splits an optional family from a table reference.
func famName(ws []token) (fam string, rest []token) {
	if len(ws) > 0 && !ws[0].str && families[ws[0].text] {
		return ws[0].text, ws[1:]
	}
	return "ip", ws
}

func (p *nftParser) top(s *stream) error {
	first := s.peek()
	switch first.text {
	case "include":
		s.next()
		arg := s.next()
		if !arg.str {
			return fmt.Errorf("include needs a quoted file name")
		}
		files, err := p.include(arg.text)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := p.file(f); err != nil {
				return err
			}
		}
		return nil
	case "define", "redefine":
		s.next()
		st := s.statement()
		if len(st) < 2 || st[1].text != "=" {
			return fmt.Errorf("define needs NAME = value")
		}
		p.defs[st[0].text] = st[2:]
		return nil
	case "undefine":
		s.next()
		st := s.statement()
		if len(st) > 0 {
			delete(p.defs, st[0].text)
		}
		return nil
	case "table", "chain", "rule":
		return p.command(s, "add")
	case "add", "create", "insert", "replace", "delete", "destroy", "flush":
		s.next()
		return p.command(s, first.text)
	}
	// list, reset, monitor, describe, export, set elements…: not part
	// of the persisted filter policy.
	s.statement()
	if !s.done() && s.peek().text == "}" {
		return fmt.Errorf("unexpected }")
	}
	return nil
}

// command handles `VERB OBJECT …`; the object keyword is next.
func (p *nftParser) command(s *stream, verb string) error {
	obj := s.next()
	switch obj.text {
	case "ruleset":
		st := s.statement()
		if verb == "flush" {
			fam := ""
			if len(st) > 0 {
				fam = st[0].text
			}
			p.rs.Chains = slices.DeleteFunc(p.rs.Chains, func(c *Chain) bool { return fam == "" || c.Family == fam })
		}
		return nil
	case "table":
		hdr := s.header()
		fam, rest := famName(hdr)
		if len(rest) < 1 {
			return fmt.Errorf("table needs a name")
		}
		name := rest[0].text
		switch verb {
		case "delete", "destroy":
			p.dropChains(func(c *Chain) bool { return c.Family == fam && c.Table == name })
			p.rs.Dormant = slices.DeleteFunc(p.rs.Dormant, func(d string) bool { return d == fam+" "+name })
			return nil
		case "flush":
			for _, c := range p.rs.Chains {
				if c.Family == fam && c.Table == name {
					c.Rules = nil
				}
			}
			return nil
		}
		if !s.done() && s.peek().text == "{" {
			s.next()
			return p.tableBody(s, fam, name)
		}
		return nil
	case "chain":
		hdr := s.header()
		fam, rest := famName(hdr)
		if len(rest) < 2 {
			return fmt.Errorf("chain needs a table and a name")
		}
		table, name := rest[0].text, rest[1].text
		switch verb {
		case "delete", "destroy":
			p.dropChains(func(c *Chain) bool { return c.Family == fam && c.Table == table && c.Name == name })
			return nil
		case "flush":
			if c := p.find(fam, table, name); c != nil {
				c.Rules = nil
			}
			return nil
		}
		c, err := p.chain(fam, table, name, obj.line, s.file)
		if err != nil {
			return err
		}
		if !s.done() && s.peek().text == "{" {
			s.next()
			return p.chainBody(s, c)
		}
		return nil
	case "rule":
		st := s.statement()
		fam, rest := famName(st)
		if len(rest) < 2 {
			return fmt.Errorf("rule needs a table and a chain")
		}
		c := p.find(fam, rest[0].text, rest[1].text)
		if c == nil {
			// nft refuses a rule for a chain that does not exist.
			return fmt.Errorf("rule for unknown chain %s %s %s", fam, rest[0].text, rest[1].text)
		}
		body := rest[2:]
		// position/handle/index N select where; handle-relative
		// placement is not modelled: append or, for insert, prepend.
		for len(body) >= 2 && (body[0].text == "position" || body[0].text == "handle" || body[0].text == "index") {
			body = body[2:]
		}
		if verb == "delete" || verb == "destroy" {
			return nil
		}
		return p.addRule(c, body, obj.line, s.file, verb == "insert")
	}
	// set, map, element, counter, quota, flowtable, ct …
	s.header()
	if !s.done() && s.peek().text == "{" {
		s.next()
		return s.skipBlock()
	}
	return nil
}

func (p *nftParser) dropChains(del func(*Chain) bool) {
	p.rs.Chains = slices.DeleteFunc(p.rs.Chains, del)
}

func (p *nftParser) find(fam, table, name string) *Chain {
	for _, c := range p.rs.Chains {
		if c.Family == fam && c.Table == table && c.Name == name {
			return c
		}
	}
	return nil
}

func (p *nftParser) chain(fam, table, name string, line int, file string) (*Chain, error) {
	if c := p.find(fam, table, name); c != nil {
		return c, nil
	}
	if len(p.rs.Chains) >= maxChains {
		return nil, fmt.Errorf("more than %d chains", maxChains)
	}
	c := &Chain{Manager: p.manager, Family: fam, Table: table, Name: name, Rules: []Rule{}, File: file, Line: line}
	p.rs.Chains = append(p.rs.Chains, c)
	return c, nil
}

func (p *nftParser) tableBody(s *stream, fam, table string) error {
	for {
		s.skipEnds()
		if s.done() {
			return errors.New("unterminated table")
		}
		t := s.next()
		if t.str {
			return fmt.Errorf("unexpected string %q in table", t.text)
		}
		switch t.text {
		case "}":
			return nil
		case "chain":
			name := s.next()
			c, err := p.chain(fam, table, name.text, name.line, s.file)
			if err != nil {
				return err
			}
			if s.next().text != "{" {
				return fmt.Errorf("chain %s: expected {", name.text)
			}
			if err := p.chainBody(s, c); err != nil {
				return err
			}
		case "flags":
			st := s.statement()
			for _, w := range st {
				if w.text == "dormant" {
					p.rs.Dormant = append(p.rs.Dormant, fam+" "+table)
				}
			}
		default:
			// set, map, flowtable, counter, quota, comment …
			s.header()
			if !s.done() && s.peek().text == "{" {
				s.next()
				if err := s.skipBlock(); err != nil {
					return err
				}
			}
		}
	}
}

func (p *nftParser) chainBody(s *stream, c *Chain) error {
	for {
		s.skipEnds()
		if s.done() {
			return errors.New("unterminated chain")
		}
		if s.peek().text == "}" && !s.peek().str {
			s.next()
			return nil
		}
		line := s.line()
		st := s.statement()
		if len(st) == 0 {
			if s.peek().text == "}" {
				continue
			}
			s.next()
			continue
		}
		switch st[0].text {
		case "type":
			// type filter hook input priority 0
			for i := 0; i+1 < len(st); i++ {
				if st[i].text == "hook" {
					c.Hook = st[i+1].text
				}
			}
		case "policy":
			if len(st) > 1 {
				v := p.expand(st[1:])
				if len(v) > 0 {
					c.Policy = v[0].text
				}
			}
		case "comment", "devices":
		default:
			if err := p.addRule(c, st, line, s.file, false); err != nil {
				return err
			}
		}
	}
}

// expand replaces $NAME tokens by their definitions.
func (p *nftParser) expand(ts []token) []token {
	return p.expandDepth(ts, 0)
}

func (p *nftParser) expandDepth(ts []token, depth int) []token {
	var out []token
	for _, t := range ts {
		if !t.str && strings.HasPrefix(t.text, "$") && depth < maxDefine {
			if d, ok := p.defs[t.text[1:]]; ok {
				out = append(out, p.expandDepth(d, depth+1)...)
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

func (p *nftParser) addRule(c *Chain, ts []token, line int, file string, prepend bool) error {
	if p.rules >= maxRules {
		return fmt.Errorf("more than %d rules", maxRules)
	}
	p.rules++
	r := nftRule(p.expand(ts))
	r.File, r.Line = file, line
	// nft refuses an ip match in an ip6 table and the reverse.
	if c.Family == "ip" && r.Family == IPv6 || c.Family == "ip6" && r.Family == IPv4 {
		return fmt.Errorf("conflicting protocols: %q in a %s chain", r.Text, c.Family)
	}
	if prepend {
		c.Rules = slices.Insert(c.Rules, 0, r)
	} else {
		c.Rules = append(c.Rules, r)
	}
	return nil
}

// nftRule reads the matches and verdict of one rule's tokens.
func nftRule(ts []token) Rule {
	var words []string
	for _, t := range ts {
		words = append(words, t.text)
	}
	r := Rule{Text: strings.Join(words, " ")}
	r.Text = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(r.Text, "{ ", "{"), " }", "}"), " ,", ",")
	i := 0
	// values reads an operator and a value or an anonymous set.
	values := func() (neg bool, vs []string) {
		if i < len(words) && (words[i] == "!=" || words[i] == "==") {
			neg = words[i] == "!="
			i++
		}
		if i < len(words) && words[i] == "{" {
			i++
			for i < len(words) && words[i] != "}" {
				if words[i] != "," {
					vs = append(vs, words[i])
				}
				i++
			}
			i++
			return neg, vs
		}
		if i < len(words) {
			for _, v := range strings.Split(words[i], ",") {
				if v != "" {
					vs = append(vs, v)
				}
			}
			i++
			// "established , related" written with spaces.
			for i+1 < len(words) && words[i] == "," {
				vs = append(vs, words[i+1])
				i += 2
			}
		}
		return neg, vs
	}
	add := func(key string, neg bool, vs []string) {
		r.Matches = append(r.Matches, Match{Key: key, Neg: neg, Values: vs})
	}
	other := func(w ...string) { add(KeyOther, false, []string{strings.Join(w, " ")}) }
	for i < len(words) {
		w := words[i]
		i++
		switch w {
		case "meta":
			// meta iif/iifname/l4proto/nfproto: handled as the bare forms.
			continue
		case "iif", "iifname":
			neg, vs := values()
			add(KeyIIf, neg, unquote(vs))
		case "oif", "oifname":
			neg, vs := values()
			add(KeyOIf, neg, unquote(vs))
		case "nfproto":
			_, vs := values()
			if len(vs) == 1 {
				r.Family = map[string]string{"ipv4": IPv4, "ipv6": IPv6}[vs[0]]
			}
		case "l4proto":
			neg, vs := values()
			add(KeyProto, neg, vs)
		case "ip", "ip6":
			fam := map[string]string{"ip": IPv4, "ip6": IPv6}[w]
			r.Family = fam
			if i < len(words) && (words[i] == "saddr" || words[i] == "daddr") {
				key := map[string]string{"saddr": KeySaddr, "daddr": KeyDaddr}[words[i]]
				i++
				neg, vs := values()
				add(key, neg, vs)
			} else if i < len(words) && (words[i] == "protocol" || words[i] == "nexthdr") {
				i++
				neg, vs := values()
				add(KeyProto, neg, vs)
			} else if i < len(words) {
				other(w, words[i])
				i++
			}
		case "tcp", "udp", "th", "sctp", "dccp", "udplite":
			if i < len(words) && (words[i] == "dport" || words[i] == "sport") {
				key := map[string]string{"dport": KeyDport, "sport": KeySport}[words[i]]
				i++
				neg, vs := values()
				for j := range vs {
					vs[j] = portValue(vs[j])
				}
				if w != "th" {
					add(KeyProto, false, []string{w})
				}
				add(key, neg, vs)
			} else if i < len(words) {
				other(w, words[i])
				i++
			}
		case "ct":
			if i < len(words) && words[i] == "state" {
				i++
				neg, vs := values()
				add(KeyCTState, neg, lower(vs))
			} else if i < len(words) {
				other(w, words[i])
				i++
			}
		case "accept", "drop", "reject", "return":
			r.Verdict = w
			if w == "reject" {
				// reject with icmp type …: the rest qualifies the verdict.
				i = len(words)
			}
		case "jump", "goto":
			r.Verdict = w
			if i < len(words) {
				r.Target = words[i]
				i++
			}
		case "counter":
			for i+1 < len(words) && (words[i] == "packets" || words[i] == "bytes") {
				i += 2
			}
		case "log":
			for i+1 < len(words) && logOptions[words[i]] {
				i += 2
			}
		case "comment":
			i++ // the comment's string
		case "notrack":
		case "limit":
			// limit rate [over] N/unit [burst N packets]: a condition.
			other(w)
			for i < len(words) && !isKeyword(words[i]) {
				i++
			}
		case "queue":
			r.Verdict = "queue"
			for i < len(words) && !isKeyword(words[i]) {
				i++
			}
		case "vmap":
			// verdict map: the verdict depends on the packet.
			other(w)
			_, _ = values()
			r.Verdict = ""
		default:
			other(w)
		}
	}
	if r.Verdict == "queue" {
		r.Verdict = ""
		other("queue")
	}
	return r
}

// logOptions take one argument each.
var logOptions = map[string]bool{"prefix": true, "level": true, "flags": true, "group": true, "snaplen": true, "queue-threshold": true}

// isKeyword reports words that start a new expression or statement after
// a counter/log/comment argument list.
func isKeyword(w string) bool {
	switch w {
	case "accept", "drop", "reject", "return", "jump", "goto", "counter", "log", "meta", "iif", "iifname",
		"oif", "oifname", "ip", "ip6", "tcp", "udp", "th", "ct", "comment", "limit":
		return true
	}
	return false
}

func unquote(vs []string) []string {
	for i, v := range vs {
		vs[i] = strings.Trim(v, `"`)
	}
	return vs
}

func lower(vs []string) []string {
	for i, v := range vs {
		vs[i] = strings.ToLower(v)
	}
	return vs
}

// nftIncludeDir is nft's compiled-in default include path on Debian,
// Fedora and RHEL (nft -h prints it).
const nftIncludeDir = "etc"

// nftIncludePattern turns an include argument into a root-relative
// path or glob: absolute paths as they are, "./x" relative to the
// working directory of the service (/), others under the include dir.
func nftIncludePattern(arg string) string {
	switch {
	case strings.HasPrefix(arg, "/"):
		return path.Clean(arg)[1:]
	case strings.HasPrefix(arg, "./"):
		return path.Clean(arg)
	}
	return path.Join(nftIncludeDir, arg)
}
