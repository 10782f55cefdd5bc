package kvconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// libpwquality's configuration, as pwquality_read_config in settings.c of
// libpwquality 1.4.5 (Debian 12, RHEL 9) reads it, and as pwquality.conf(5)
// says: "The libpwquality library also first reads all *.conf files from
// the /etc/security/pwquality.conf.d directory in ASCII sorted order. The
// values of the same settings are overridden in the order the files are
// parsed." The main file is read last, so it wins over every drop-in.
// Details of the reader that decide the effective value:
//   - drop-ins are the names whose first ".conf" ends the name (scandir
//     filter_conf: "a.conf.conf" is skipped, dot files are not), sorted
//     by strcmp; one that cannot be opened is skipped;
//   - '#' anywhere starts a comment; the name ends at a blank or '=', and
//     the value follows blanks and at most one '=' ("minlen 12" sets it);
//   - names are compared with strcasecmp; integers are strtol in base 10
//     that must consume the whole value; minlen below 6 becomes 6 and
//     minclass above 4 becomes 4; enforce_for_root and local_users_only
//     are set whatever value follows them;
//   - an unknown name, a bad integer or a line of 1023 bytes or more ends
//     the read: later lines, later drop-ins and the main file are not
//     applied (pam_pwquality logs the error and keeps what it had read;
//     pwscore exits 3).
//
// Later libpwquality (after 1.4.5) also reads vendor defaults from
// /usr/lib/security; no released distribution of the supported ones does.

// pwqKind is the type of a libpwquality setting.
type pwqKind int

const (
	pwqInt pwqKind = iota
	pwqStr
	pwqSet
)

// pwqSettings are the names libpwquality 1.4.5 knows (s_map in settings.c).
var pwqSettings = map[string]pwqKind{
	"difok": pwqInt, "minlen": pwqInt, "dcredit": pwqInt, "ucredit": pwqInt,
	"lcredit": pwqInt, "ocredit": pwqInt, "minclass": pwqInt, "maxrepeat": pwqInt,
	"maxclassrepeat": pwqInt, "maxsequence": pwqInt, "gecoscheck": pwqInt,
	"dictcheck": pwqInt, "usercheck": pwqInt, "usersubstr": pwqInt,
	"enforcing": pwqInt, "retry": pwqInt,
	"badwords": pwqStr, "dictpath": pwqStr,
	"enforce_for_root": pwqSet, "local_users_only": pwqSet,
}

// PwqualityDefaults are libpwquality 1.4.5's built-in integer values
// (pwqprivate.h; dictcheck as Debian and RHEL build it, with cracklib).
var PwqualityDefaults = map[string]int{
	"difok": 1, "minlen": 8, "dcredit": 0, "ucredit": 0, "lcredit": 0, "ocredit": 0,
	"minclass": 0, "maxrepeat": 0, "maxclassrepeat": 0, "maxsequence": 0,
	"gecoscheck": 0, "dictcheck": 1, "usercheck": 1, "usersubstr": 0,
	"enforcing": 1, "retry": 1, "enforce_for_root": 0, "local_users_only": 0,
}

// Stop is where libpwquality stopped reading and why.
type Stop struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (s *Stop) String() string {
	return fmt.Sprintf("%s:%d: %s", s.File, s.Line, s.Reason)
}

// pwqMaxLine is fgets' buffer in read_config_file less the terminator.
const pwqMaxLine = 1023

// parsePwquality parses one file; a non-nil Stop ends the whole read.
// Values are normalised as the library stores them (integers in decimal,
// clamped; set-only flags empty), keys are lower case.
func parsePwquality(b []byte, file string) ([]Entry, *Stop) {
	var out []Entry
	n := 0
	for len(b) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		if len(line) >= pwqMaxLine {
			return out, &Stop{File: file, Line: n, Reason: "line too long"}
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			// strlen ends the line at the NUL, which then lacks its
			// newline: fgets' "malformed" unless nothing precedes it.
			if i == 0 {
				continue
			}
			return out, &Stop{File: file, Line: n, Reason: "NUL byte in line"}
		}
		s := string(line)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimLeft(strings.TrimRight(s, cSpace), cSpace)
		if s == "" {
			continue
		}
		name, rest := s, ""
		eq := false
		if i := strings.IndexAny(s, cSpace+"="); i >= 0 {
			name, rest, eq = s[:i], s[i+1:], s[i] == '='
		}
		for rest != "" {
			c := rest[0]
			if c == '=' && !eq {
				eq = true
			} else if !strings.ContainsRune(cSpace, rune(c)) {
				break
			}
			rest = rest[1:]
		}
		key := strings.ToLower(name)
		kind, known := pwqSettings[key]
		if !known {
			return out, &Stop{File: file, Line: n, Reason: fmt.Sprintf("unknown setting %q", name)}
		}
		val := rest
		switch kind {
		case pwqInt:
			v, ok := pwqInteger(rest)
			if !ok {
				return out, &Stop{File: file, Line: n, Reason: fmt.Sprintf("%s: %q is not an integer", name, rest)}
			}
			switch {
			case key == "minlen" && v < 6:
				v = 6
			case key == "minclass" && v > 4:
				v = 4
			}
			val = strconv.FormatInt(v, 10)
		case pwqSet:
			val = ""
		}
		out = append(out, Entry{Key: key, Value: val, File: file, Line: n})
	}
	return out, nil
}

// cSpace is C's isspace in the "C" locale.
const cSpace = " \t\n\v\f\r"

// pwqInteger is strtol(s, &end, 10) that must consume all of s and stay
// strictly inside int's range, as set_name_value requires.
func pwqInteger(s string) (int64, bool) {
	t := strings.TrimLeft(s, cSpace)
	if s == "" || t == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, v < math.MaxInt32 && v > math.MinInt32
}

// PwqualityDropIn reports whether libpwquality reads a file of this name
// from pwquality.conf.d: the first ".conf" in the name must end it.
func PwqualityDropIn(name string) bool {
	i := strings.Index(name, ".conf")
	return i >= 0 && i+len(".conf") == len(name)
}

// readPwquality reads each path of src as pwquality_read_config reads its
// configuration file: "<path>.d" drop-ins first, then the path.
func readPwquality(t target.Target, src Source, c *Config) error {
	for _, p := range src.Paths {
		p = target.Clean(p)
		dir := p + ".d"
		ents, err := t.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			// scandir errors other than ENOMEM are ignored.
			ents = nil
		}
		var names []string
		for _, e := range ents {
			if PwqualityDropIn(e.Name) {
				names = append(names, e.Name)
			}
		}
		// The library reads every drop-in: one cradle did not read could
		// weaken the policy, so too many is an error, not a partial view.
		if len(names) > maxDropIns {
			return fmt.Errorf("%s: %d drop-ins, more than the %d cradle reads", target.Abs(dir), len(names), maxDropIns)
		}
		sort.Strings(names)
		for _, n := range names {
			f := path.Join(dir, n)
			fi, err := t.Stat(f)
			switch {
			case errors.Is(err, fs.ErrNotExist), err == nil && fi.Mode.IsDir():
				// A dangling link does not open (ignored for drop-ins); a
				// directory opens but reads nothing.
				continue
			case err != nil:
				return fmt.Errorf("stat %s: %w", target.Abs(f), err)
			case !fi.Mode.IsRegular():
				return fmt.Errorf("%s is not a regular file", target.Abs(f))
			}
			b, err := target.ReadFile(t, f)
			if err != nil {
				return fmt.Errorf("read %s: %w", target.Abs(f), err)
			}
			if stop := c.addPwquality(b, target.Abs(f)); stop {
				return nil
			}
		}
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				c.Missing = append(c.Missing, target.Abs(p))
				continue
			}
			return fmt.Errorf("read %s: %w", target.Abs(p), err)
		}
		if stop := c.addPwquality(b, target.Abs(p)); stop {
			return nil
		}
	}
	return nil
}

// maxDropIns bounds the drop-ins read from one directory.
const maxDropIns = 1000

func (c *Config) addPwquality(b []byte, file string) bool {
	ents, stop := parsePwquality(b, file)
	c.Files = append(c.Files, file)
	c.Entries = append(c.Entries, ents...)
	c.Stopped = stop
	return stop != nil
}
