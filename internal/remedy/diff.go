package remedy

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// maxMatcherCells bounds the line pairs difflib's matcher may compare. Its
// longest-match search is quadratic when changes are spread through a
// file (the shadow file of a host with many accounts, one field edited
// on every tenth line), so larger inputs use largeDiffOps.
const maxMatcherCells = 1 << 22

// largeDiff renders a unified diff in time linear in the input: the
// common head and tail are trimmed, a middle small enough for the matcher
// is matched as usual, and a larger one is compared line by line in place
// (the edits cradle plans on big files rewrite lines where they are), with
// the surplus of the longer side as an insertion or deletion. The diff is
// always correct; for large reorderings it is longer than a minimal one.
func largeDiff(fromName, toName string, a, b []string) string {
	ops := largeDiffOps(a, b)
	var sb strings.Builder
	for i, g := range groupOps(ops, 3) {
		if i == 0 {
			fmt.Fprintf(&sb, "--- %s\n+++ %s\n", fromName, toName)
		}
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
		for _, c := range g {
			if c.Tag == 'e' {
				for _, l := range a[c.I1:c.I2] {
					sb.WriteString(" " + l)
				}
				continue
			}
			for _, l := range a[c.I1:c.I2] {
				sb.WriteString("-" + l)
			}
			for _, l := range b[c.J1:c.J2] {
				sb.WriteString("+" + l)
			}
		}
	}
	return sb.String()
}

func largeDiffOps(a, b []string) []difflib.OpCode {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	ma, mb := a[p:len(a)-s], b[p:len(b)-s]
	var ops []difflib.OpCode
	add := func(tag byte, i1, i2, j1, j2 int) {
		if i1 == i2 && j1 == j2 {
			return
		}
		if n := len(ops); n > 0 && ops[n-1].Tag == tag {
			ops[n-1].I2, ops[n-1].J2 = i2, j2
			return
		}
		ops = append(ops, difflib.OpCode{Tag: tag, I1: i1, I2: i2, J1: j1, J2: j2})
	}
	add('e', 0, p, 0, p)
	if len(ma)*len(mb) <= maxMatcherCells {
		for _, c := range difflib.NewMatcher(ma, mb).GetOpCodes() {
			add(c.Tag, p+c.I1, p+c.I2, p+c.J1, p+c.J2)
		}
	} else {
		n := min(len(ma), len(mb))
		for k := 0; k < n; k++ {
			tag := byte('r')
			if ma[k] == mb[k] {
				tag = 'e'
			}
			add(tag, p+k, p+k+1, p+k, p+k+1)
		}
		add('d', p+n, p+len(ma), p+n, p+n)
		add('i', p+len(ma), p+len(ma), p+n, p+len(mb))
	}
	add('e', len(a)-s, len(a), len(b)-s, len(b))
	return ops
}

// groupOps splits opcodes into hunks with n lines of context, as unified
// diffs show them.
func groupOps(ops []difflib.OpCode, n int) [][]difflib.OpCode {
	if len(ops) == 0 || len(ops) == 1 && ops[0].Tag == 'e' {
		return nil
	}
	ops = append([]difflib.OpCode(nil), ops...)
	if c := &ops[0]; c.Tag == 'e' {
		c.I1, c.J1 = max(c.I1, c.I2-n), max(c.J1, c.J2-n)
	}
	if c := &ops[len(ops)-1]; c.Tag == 'e' {
		c.I2, c.J2 = min(c.I2, c.I1+n), min(c.J2, c.J1+n)
	}
	var groups [][]difflib.OpCode
	var g []difflib.OpCode
	for _, c := range ops {
		if c.Tag == 'e' && c.I2-c.I1 > 2*n {
			g = append(g, difflib.OpCode{Tag: 'e', I1: c.I1, I2: c.I1 + n, J1: c.J1, J2: c.J1 + n})
			groups = append(groups, g)
			g = nil
			c.I1, c.J1 = c.I2-n, c.J2-n
		}
		g = append(g, c)
	}
	if len(g) > 0 && !(len(g) == 1 && g[0].Tag == 'e') {
		groups = append(groups, g)
	}
	return groups
}

// hunkRange formats a hunk's line range the way unified diffs do.
func hunkRange(start, stop int) string {
	begin, length := start+1, stop-start
	switch length {
	case 1:
		return fmt.Sprint(begin)
	case 0:
		begin--
	}
	return fmt.Sprintf("%d,%d", begin, length)
}
