package checks

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileContentTemplate checks the text of small files (banners, notices)
// with RE2 regular expressions:
//
//	file_content: {paths: [/etc/issue], must_not_match: ['\\[mrsv]'], missing: pass}
//	file_content: {paths: [/etc/issue.net], must_match: ['(?i)authori[sz]ed']}
//
// must_not_match is applied line by line, so evidence names the line;
// must_match is applied to the whole file in multi-line mode. Matched text
// is shown in evidence, so do not use this on files holding secrets.
type fileContentTemplate struct{}

type fileContentArgs struct {
	Paths        []string `yaml:"paths"`
	MustNotMatch []string `yaml:"must_not_match"`
	MustMatch    []string `yaml:"must_match"`
	Missing      string   `yaml:"missing"`
}

type fileContentCheck struct {
	a        fileContentArgs
	not, yes []*regexp.Regexp
}

func (fileContentTemplate) Name() string { return "file_content" }

func (fileContentTemplate) New(n *yaml.Node) (check.Check, error) {
	var a fileContentArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 {
		return nil, check.ArgErrorf(n, "paths: at least one path is required")
	}
	if len(a.MustNotMatch)+len(a.MustMatch) == 0 {
		return nil, check.ArgErrorf(n, "set must_not_match or must_match")
	}
	if err := validStatus(n, "missing", a.Missing); err != nil {
		return nil, err
	}
	c := &fileContentCheck{a: a}
	for _, s := range a.MustNotMatch {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, check.ArgErrorf(n, "must_not_match %q: %v", s, err)
		}
		c.not = append(c.not, re)
	}
	for _, s := range a.MustMatch {
		re, err := regexp.Compile("(?m)" + s)
		if err != nil {
			return nil, check.ArgErrorf(n, "must_match %q: %v", s, err)
		}
		c.yes = append(c.yes, re)
	}
	return c, nil
}

func (c *fileContentCheck) Fixable() bool { return false }

// maxContent bounds the text a content check reads.
const maxContent = 1 << 20

func (c *fileContentCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	var good, bad []result.Evidence
	seen := 0
	for _, p := range c.a.Paths {
		b, err := target.ReadFile(t, p)
		if err != nil {
			if isNotExist(err) {
				ev := result.Evidence{Observed: "absent", File: target.Abs(p)}
				if c.a.Missing == "fail" {
					bad = append(bad, ev)
				} else {
					good = append(good, ev)
				}
				continue
			}
			return check.FromErr("read "+target.Abs(p), err)
		}
		if len(b) > maxContent {
			return check.Errorf("%s is larger than %d bytes", target.Abs(p), maxContent)
		}
		seen++
		text := string(b)
		ok := true
		for _, re := range c.not {
			for i, line := range strings.Split(text, "\n") {
				if m := re.FindString(line); m != "" {
					ok = false
					bad = append(bad, result.Evidence{Expected: "no match for " + re.String(), Observed: fmt.Sprintf("%q matches %q", trimLine(line), m), File: target.Abs(p), Line: i + 1})
				}
			}
		}
		for _, re := range c.yes {
			loc := re.FindStringIndex(text)
			if loc == nil {
				ok = false
				bad = append(bad, result.Evidence{Expected: "a match for " + strings.TrimPrefix(re.String(), "(?m)"), Observed: "no match", File: target.Abs(p)})
				continue
			}
			good = append(good, result.Evidence{Expected: "a match for " + strings.TrimPrefix(re.String(), "(?m)"), Observed: fmt.Sprintf("%q", trimLine(text[loc[0]:loc[1]])), File: target.Abs(p), Line: 1 + strings.Count(text[:loc[0]], "\n")})
		}
		if ok && len(c.yes) == 0 {
			good = append(good, result.Evidence{Expected: "no match for " + strings.Join(c.a.MustNotMatch, ", "), Observed: "no match", File: target.Abs(p)})
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	if seen == 0 && c.a.Missing == "not_applicable" {
		o := check.NotApplicable("none of the files exist")
		o.Evidence = good
		return o
	}
	return check.Pass(good...)
}

func trimLine(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
