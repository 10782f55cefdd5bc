// Package kcmdline collects the kernel command lines a target boots with,
// from every place that decides them:
//
//   - /etc/default/grub and then /etc/default/grub.d/*.cfg (in C-locale
//     glob order), sourced by grub-mkconfig as shell: GRUB_CMDLINE_LINUX
//     goes on every entry, GRUB_CMDLINE_LINUX_DEFAULT on the normal entries
//     only, so the recovery entry ("single ${GRUB_CMDLINE_LINUX}" in
//     Debian's 10_linux) is a line of its own unless GRUB_DISABLE_RECOVERY
//     is true;
//   - the linux/linuxefi/linux16 lines of the generated grub.cfg
//     (/boot/grub/grub.cfg, /boot/grub2/grub.cfg), what actually boots;
//   - Boot Loader Specification entries (/boot/loader/entries/*.conf
//     "options", with $kernelopts from /boot/grub2/grubenv) and
//     /etc/kernel/cmdline (kernel-install, unified kernel images);
//   - /proc/cmdline on a live host.
//
// Parameters are split as the kernel's next_arg does (whitespace, double
// quotes, "--" ends the kernel's part); where a parameter repeats, the
// last occurrence is the one in effect.
package kcmdline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Key is the fact-store key.
const Key = "kcmdline"

// Bounds on what is read: boot configuration is small.
const (
	MaxFileSize = 1 << 20
	MaxFiles    = 256 // grub.d snippets or BLS entries read
	MaxSources  = 512 // command lines kept
	MaxLineLen  = 64 << 10
)

// Source kinds.
const (
	KindGrubDefault  = "grub-default"          // GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT
	KindGrubRecovery = "grub-default-recovery" // GRUB_CMDLINE_LINUX alone
	KindGrubCfg      = "grub.cfg"
	KindBLS          = "bls"
	KindKernelCmd    = "kernel-cmdline"
	KindProc         = "proc"
)

// Param is one kernel parameter.
type Param struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	HasValue bool   `json:"has_value"`
}

func (p Param) String() string {
	if p.HasValue {
		return p.Key + "=" + p.Value
	}
	return p.Key
}

// Source is one command line and where it comes from.
type Source struct {
	Kind  string `json:"kind"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Entry string `json:"entry,omitempty"` // menu entry or BLS title
	// Cmdline is the line as it is set; Params its kernel parameters.
	Cmdline string  `json:"cmdline"`
	Params  []Param `json:"params"`
}

// Describe names the source for evidence.
func (s Source) Describe() string {
	switch s.Kind {
	case KindGrubDefault:
		return "GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT (normal entries)"
	case KindGrubRecovery:
		return "GRUB_CMDLINE_LINUX (recovery entries)"
	case KindProc:
		return "the running kernel"
	}
	if s.Entry != "" {
		return fmt.Sprintf("%s entry %q", s.Kind, s.Entry)
	}
	return s.Kind
}

// Facts are the kernel command lines of a target.
type Facts struct {
	Sources []Source `json:"sources"`
	// Notes are what could not be followed (command substitution in
	// /etc/default/grub, sources beyond the bounds).
	Notes []string `json:"notes,omitempty"`
}

// Get returns the memoised command lines.
func Get(s *facts.Store) (*Facts, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads every command-line source of t.
func Collect(ctx context.Context, t target.Target) (*Facts, error) {
	f := &Facts{Sources: []Source{}}
	if err := f.grubDefault(t); err != nil {
		return nil, err
	}
	for _, p := range []string{"boot/grub/grub.cfg", "boot/grub2/grub.cfg"} {
		b, err := readOptional(t, p)
		if err != nil {
			return nil, err
		}
		if b != nil {
			srcs, skipped := ParseGrubCfg(target.Abs(p), b)
			f.add(srcs...)
			f.Notes = append(f.Notes, skipped...)
		}
	}
	if err := f.bls(t); err != nil {
		return nil, err
	}
	if b, err := readOptional(t, "etc/kernel/cmdline"); err != nil {
		return nil, err
	} else if b != nil {
		line := strings.TrimSpace(string(b))
		f.add(Source{Kind: KindKernelCmd, File: "/etc/kernel/cmdline", Line: 1, Cmdline: line, Params: Parse(line)})
	}
	if t.Live() {
		b, err := readOptional(t, "proc/cmdline")
		if err != nil {
			return nil, err
		}
		if b != nil {
			line := strings.TrimSpace(string(b))
			f.add(Source{Kind: KindProc, File: "/proc/cmdline", Line: 1, Cmdline: line, Params: Parse(line)})
		}
	}
	return f, ctx.Err()
}

func (f *Facts) add(ss ...Source) {
	for _, s := range ss {
		if len(f.Sources) >= MaxSources {
			f.Notes = append(f.Notes, fmt.Sprintf("more than %d command lines: the rest are not read", MaxSources))
			return
		}
		f.Sources = append(f.Sources, s)
	}
}

func readOptional(t target.Target, p string) ([]byte, error) {
	b, err := target.ReadFileLimit(t, p, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", target.Abs(p), err)
	}
	return b, nil
}

// globFiles lists dir/pattern in byte order (the C-locale order of a shell
// glob), bounded by MaxFiles.
func (f *Facts) globFiles(t target.Target, dir, pattern string) ([]string, error) {
	ms, err := target.Glob(t, dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", target.Abs(dir), err)
	}
	slices.Sort(ms)
	if len(ms) > MaxFiles {
		f.Notes = append(f.Notes, fmt.Sprintf("%s: only the first %d of %d files read", target.Abs(dir), MaxFiles, len(ms)))
		ms = ms[:MaxFiles]
	}
	return ms, nil
}

// grubDefault sources /etc/default/grub and grub.d/*.cfg the way
// grub-mkconfig does and adds the normal and recovery command lines.
func (f *Facts) grubDefault(t target.Target) error {
	files := []string{"etc/default/grub"}
	more, err := f.globFiles(t, "etc/default/grub.d", "*.cfg")
	if err != nil {
		return err
	}
	files = append(files, more...)
	sh := NewShellVars()
	read := 0
	for _, p := range files {
		b, err := readOptional(t, p)
		if err != nil {
			return err
		}
		if b == nil {
			continue
		}
		read++
		sh.Source(target.Abs(p), b)
	}
	if read == 0 {
		return nil
	}
	f.Notes = append(f.Notes, sh.Notes...)
	linux, def := sh.Get("GRUB_CMDLINE_LINUX"), sh.Get("GRUB_CMDLINE_LINUX_DEFAULT")
	normal := strings.TrimSpace(linux.Value + " " + def.Value)
	at := linux
	if def.Line > 0 {
		at = def
	}
	f.add(Source{Kind: KindGrubDefault, File: at.File, Line: at.Line, Cmdline: normal, Params: Parse(normal)})
	if sh.Get("GRUB_DISABLE_RECOVERY").Value != "true" {
		f.add(Source{Kind: KindGrubRecovery, File: linux.File, Line: linux.Line, Cmdline: linux.Value, Params: Parse(linux.Value)})
	}
	return nil
}

// bls reads the Boot Loader Specification entries.
func (f *Facts) bls(t target.Target) error {
	ents, err := f.globFiles(t, "boot/loader/entries", "*.conf")
	if err != nil || len(ents) == 0 {
		return err
	}
	env, err := readOptional(t, "boot/grub2/grubenv")
	if err != nil {
		return err
	}
	kernelopts := ""
	for _, l := range textline.Split(env) {
		if v, ok := strings.CutPrefix(l, "kernelopts="); ok {
			kernelopts = v
		}
	}
	for _, p := range ents {
		b, err := readOptional(t, p)
		if err != nil {
			return err
		}
		if s, ok := ParseBLS(target.Abs(p), b, kernelopts); ok {
			f.add(s)
		}
	}
	return nil
}

// ParseBLS reads one Boot Loader Specification entry: its title and its
// options lines (several are joined), $kernelopts expanded.
func ParseBLS(file string, b []byte, kernelopts string) (Source, bool) {
	s := Source{Kind: KindBLS, File: file}
	var opts []string
	for i, l := range textline.Split(b) {
		l = strings.TrimSpace(l)
		key, val, _ := strings.Cut(l, " ")
		val = strings.TrimSpace(val)
		switch key {
		case "title":
			s.Entry = val
		case "options":
			if s.Line == 0 {
				s.Line = i + 1
			}
			opts = append(opts, strings.ReplaceAll(val, "$kernelopts", kernelopts))
		}
	}
	if s.Line == 0 {
		return s, false
	}
	if s.Entry == "" {
		s.Entry = path.Base(file)
	}
	s.Cmdline = strings.Join(opts, " ")
	s.Params = Parse(s.Cmdline)
	return s, true
}

// ParseGrubCfg returns the command line of every linux, linuxefi and
// linux16 line of a grub.cfg that boots this system's Linux kernel, with
// the title of the menu entry it is in. Lines loading another image
// (memtest86+) or another system's kernel (os-prober's entries) are not
// this kernel's command line: they are returned as skipped notes.
func ParseGrubCfg(file string, b []byte) (out []Source, skipped []string) {
	entry, osProber, otherOS := "", false, false
	nskipped := 0
	for i, l := range textline.Split(b) {
		if len(l) > MaxLineLen {
			continue
		}
		// grub-mkconfig brackets each /etc/grub.d script's output.
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "### BEGIN /etc/grub.d/") {
			osProber = strings.Contains(t, "os-prober")
		} else if strings.HasPrefix(t, "### END /etc/grub.d/") {
			osProber = false
		}
		words := grubWords(l)
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "menuentry", "submenu":
			if len(words) > 1 {
				entry = words[1]
			}
			otherOS = slices.ContainsFunc(words[1:], func(w string) bool { return strings.HasPrefix(w, "osprober-") })
		case "linux", "linuxefi", "linux16":
			if len(words) < 2 {
				continue
			}
			why := ""
			switch {
			case osProber || otherOS:
				why = "another system's entry (os-prober)"
			case !IsKernelImage(words[1]):
				why = "not a Linux kernel image"
			}
			if why != "" {
				if nskipped++; nskipped <= maxSkippedListed {
					skipped = append(skipped, fmt.Sprintf("%s:%d: entry %q (%s) skipped: %s", file, i+1, entry, words[1], why))
				}
				continue
			}
			line := strings.Join(words[2:], " ")
			out = append(out, Source{Kind: KindGrubCfg, File: file, Line: i + 1, Entry: entry, Cmdline: line, Params: Parse(line)})
		}
	}
	if n := nskipped - maxSkippedListed; n > 0 {
		skipped = append(skipped, fmt.Sprintf("%s: %d more entries skipped", file, n))
	}
	return out, skipped
}

// maxSkippedListed bounds the skipped grub.cfg entries named in notes.
const maxSkippedListed = 8

// IsKernelImage reports whether a boot loader's image path names a Linux
// kernel by its conventional file names (vmlinuz-*, vmlinux, bzImage,
// arm64's Image, Gentoo's kernel-*); a path built from grub variables
// cannot be told and counts as one.
func IsKernelImage(p string) bool {
	if strings.Contains(p, "$") {
		return true
	}
	base := path.Base(p)
	for _, pre := range []string{"vmlinuz", "vmlinux", "bzImage", "Image", "kernel-"} {
		if strings.HasPrefix(base, pre) {
			return true
		}
	}
	return false
}

// grubWords splits a grub script line into words: blanks separate,
// single quotes are literal, double quotes and backslashes escape; a #
// at the start of a word begins a comment.
func grubWords(l string) []string {
	var words []string
	var w strings.Builder
	in, quote, esc := false, byte(0), false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case esc:
			w.WriteByte(c)
			esc = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case quote == '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				w.WriteByte(c)
			}
		case c == '\\':
			esc, in = true, true
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == ';' || c == '{' && !in:
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case c == '#' && !in:
			return words
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// Parse splits a kernel command line into parameters as the kernel's
// next_arg (lib/cmdline.c) does: blanks separate, a double quote groups
// (and is dropped), the first "=" splits key from value, and "--" ends
// the parameters the kernel reads (the rest go to init).
func Parse(s string) []Param {
	if len(s) > MaxLineLen {
		s = s[:MaxLineLen]
	}
	out := []Param{}
	i := 0
	for {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) {
			return out
		}
		var w strings.Builder
		quoted := false
		for ; i < len(s); i++ {
			c := s[i]
			if c == '"' {
				quoted = !quoted
				continue
			}
			if !quoted && isBlank(c) {
				break
			}
			w.WriteByte(c)
		}
		word := w.String()
		if word == "--" {
			return out
		}
		k, v, has := strings.Cut(word, "=")
		out = append(out, Param{Key: k, Value: v, HasValue: has})
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// NormalKey is the form parameter names are compared in: the kernel
// (parameq) and systemd (proc_cmdline_key_streq) take "-" and "_" as the
// same character in module.param and systemd.* names; other keys are
// matched exactly.
func NormalKey(k string) string {
	if strings.Contains(k, ".") {
		return strings.ReplaceAll(k, "-", "_")
	}
	return k
}

// Last returns the occurrence of key in effect (the last one).
func Last(ps []Param, key string) (Param, bool) {
	key = NormalKey(key)
	for i := len(ps) - 1; i >= 0; i-- {
		if NormalKey(ps[i].Key) == key {
			return ps[i], true
		}
	}
	return Param{}, false
}
