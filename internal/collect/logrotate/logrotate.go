// Package logrotate reads logrotate(8)'s configuration as logrotate does:
// /etc/logrotate.conf, with "include" of files and directories (a
// directory's files in sorted order, minus the names logrotate's tabooext
// list skips); directives outside a block set the defaults of the blocks
// that follow them, and a block ("PATH... {" ... "}") starts from the
// defaults in effect where it is defined. Only what cradle's rules need is
// kept: the paths of each block and its rotate count. Scripts
// (postrotate ... endscript) are skipped unread.
package logrotate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Block is one log file block.
type Block struct {
	Paths []string `json:"paths"`
	// Rotate is the effective rotate count: the block's own, or the
	// default in effect where the block starts (0 when none was set:
	// logrotate then deletes old logs instead of keeping any).
	Rotate int `json:"rotate"`
	// RotateLine is the line of the rotate directive that applies (0 when
	// logrotate's built-in 0 does), in RotateFile.
	RotateFile string `json:"rotate_file,omitempty"`
	RotateLine int    `json:"rotate_line,omitempty"`
	File       string `json:"file"`
	Line       int    `json:"line"`
}

// Config is the logrotate configuration of a target.
type Config struct {
	// Present is false when /etc/logrotate.conf does not exist.
	Present bool     `json:"present"`
	Files   []string `json:"files"`
	Blocks  []Block  `json:"blocks"`
	// Rotate is the global default at the end of logrotate.conf, what a
	// block added later in an included directory would start from.
	Rotate     int    `json:"rotate"`
	RotateFile string `json:"rotate_file,omitempty"`
	RotateLine int    `json:"rotate_line,omitempty"`
}

// Key is the fact-store key.
const Key = "logrotate"

// Get returns the memoised configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Bounds for hostile trees.
const (
	maxSize  = 1 << 20
	maxFiles = 512
	maxDepth = 4
)

// taboo are the suffixes logrotate skips in included directories (its
// default tabooext list, logrotate(8)), plus editor backups.
var taboo = []string{",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
	".dpkg-old", ".dpkg-tmp", ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new", ".ucf-old", "~"}

func tabooName(n string) bool {
	for _, s := range taboo {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return strings.HasPrefix(n, ".") || strings.Contains(n, ".rhn-cfg-tmp-")
}

// Collect reads /etc/logrotate.conf and what it includes.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{}
	b, err := target.ReadFile(t, "etc/logrotate.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read /etc/logrotate.conf: %w", err)
	}
	c.Present = true
	p := &parser{t: t, c: c, def: state{}}
	if err := p.file("etc/logrotate.conf", b, 0); err != nil {
		return nil, err
	}
	c.Rotate, c.RotateFile, c.RotateLine = p.def.rotate, p.def.file, p.def.line
	return c, nil
}

type state struct {
	rotate int
	file   string
	line   int
}

type parser struct {
	t   target.Target
	c   *Config
	def state
}

// Parse reads one file's blocks with the given starting default rotate
// count, without following includes; for tests and fuzzing.
func Parse(b []byte, file string) *Config {
	c := &Config{Present: true}
	p := &parser{c: c}
	_ = p.file(file, b, maxDepth)
	c.Rotate, c.RotateFile, c.RotateLine = p.def.rotate, p.def.file, p.def.line
	return c
}

func (p *parser) file(rel string, b []byte, depth int) error {
	if len(p.c.Files) >= maxFiles {
		return fmt.Errorf("logrotate configuration includes more than %d files", maxFiles)
	}
	if len(b) > maxSize {
		b = b[:maxSize]
	}
	file := target.Abs(rel)
	p.c.Files = append(p.c.Files, file)
	var (
		cur     *Block
		curRot  state
		pending []string // paths seen before the "{"
		pendAt  int
		script  bool
	)
	for i, raw := range strings.Split(string(b), "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if script {
			if line == "endscript" {
				script = false
			}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		if cur == nil {
			// Paths, possibly followed by "{" on the same line.
			if open := strings.IndexByte(line, '{'); open >= 0 || startsPath(line) {
				head := line
				if open >= 0 {
					head = line[:open]
				}
				if len(pending) == 0 {
					pendAt = n
				}
				pending = append(pending, splitWords(head)...)
				if open < 0 {
					continue
				}
				cur = &Block{Paths: pending, File: file, Line: pendAt}
				curRot = p.def
				pending = nil
				line = strings.TrimSpace(line[open+1:])
				if line == "" {
					continue
				}
			}
		}
		if strings.HasPrefix(line, "}") {
			if cur != nil {
				cur.Rotate, cur.RotateFile, cur.RotateLine = curRot.rotate, curRot.file, curRot.line
				p.c.Blocks = append(p.c.Blocks, *cur)
				cur = nil
			}
			continue
		}
		f := splitWords(line)
		if len(f) == 0 {
			continue
		}
		switch strings.ToLower(f[0]) {
		case "postrotate", "prerotate", "firstaction", "lastaction", "preremove":
			script = true
		case "rotate":
			if len(f) < 2 {
				continue
			}
			v, err := strconv.Atoi(f[1])
			if err != nil {
				continue // logrotate rejects the directive
			}
			st := state{rotate: v, file: file, line: n}
			if cur != nil {
				curRot = st
			} else {
				p.def = st
			}
		case "include":
			if cur != nil || len(f) < 2 || p.t == nil {
				continue // not allowed inside a block
			}
			if depth >= maxDepth {
				return fmt.Errorf("%s:%d: logrotate include depth exceeds %d", file, n, maxDepth)
			}
			if err := p.include(f[1], depth+1); err != nil {
				return fmt.Errorf("%s:%d: %w", file, n, err)
			}
		}
	}
	return nil
}

func startsPath(line string) bool {
	return line[0] == '/' || line[0] == '"' || line[0] == '\'' || line[0] == '~'
}

// splitWords splits on blanks, honouring single and double quotes.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	q, has := byte(0), false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case q != 0:
			if ch == q {
				q = 0
				continue
			}
			cur.WriteByte(ch)
		case ch == '"' || ch == '\'':
			q, has = ch, true
		case ch == ' ' || ch == '\t' || ch == '\r':
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(ch)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func (p *parser) include(name string, depth int) error {
	rel := target.Clean(name)
	fi, err := p.t.Stat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat include %s: %w", target.Abs(rel), err)
	}
	files := []string{rel}
	if fi.Mode.IsDir() {
		ents, err := p.t.ReadDir(rel)
		if err != nil {
			return fmt.Errorf("list include %s: %w", target.Abs(rel), err)
		}
		files = files[:0]
		for _, e := range ents {
			if !tabooName(e.Name) {
				files = append(files, path.Join(rel, e.Name))
			}
		}
		sort.Strings(files)
	}
	for _, f := range files {
		if fi, err := p.t.Stat(f); err != nil || !fi.Mode.IsRegular() {
			continue
		}
		b, err := target.ReadFile(p.t, f)
		if err != nil {
			return fmt.Errorf("read %s: %w", target.Abs(f), err)
		}
		if err := p.file(f, b, depth); err != nil {
			return err
		}
	}
	return nil
}

// Covers reports whether one of the block's path patterns names p.
func (b *Block) Covers(p string) bool {
	for _, pat := range b.Paths {
		if ok, _ := path.Match(pat, p); ok || pat == p {
			return true
		}
	}
	return false
}
