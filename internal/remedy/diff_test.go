package remedy

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// applyUnified applies a unified diff to a, checking every context and
// removed line, so a test can tell that a diff is correct.
func applyUnified(t *testing.T, a, diff string) string {
	t.Helper()
	src := diffLines([]byte(a))
	lines := diffLines([]byte(diff))
	var out []string
	pos := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++") {
			continue
		}
		if !strings.HasPrefix(l, "@@ -") {
			t.Fatalf("line %d: want a hunk header, got %q", i, l)
		}
		r := strings.Fields(l)[1][1:]
		start, _, _ := strings.Cut(r, ",")
		n, _ := strconv.Atoi(start)
		if strings.HasSuffix(r, ",0") {
			n++ // an empty range names the line before
		}
		for pos < n-1 {
			out = append(out, src[pos])
			pos++
		}
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "@@") {
			i++
			body := lines[i][1:]
			switch lines[i][0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != body {
					t.Fatalf("diff line %d %q does not match source line %d", i, lines[i], pos+1)
				}
				if lines[i][0] == ' ' {
					out = append(out, body)
				}
				pos++
			case '+':
				out = append(out, body)
			}
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

func TestLargeDiffIsCorrect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name      string
		n         int
		every     int
		grow, cut int
	}{
		{"in place", 5000, 10, 0, 0},
		{"in place dense", 3000, 1, 0, 0},
		{"appended", 4000, 7, 100, 0},
		{"shortened", 4000, 3, 0, 50},
		{"small", 20, 4, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b strings.Builder
			for i := range tc.n {
				line := fmt.Sprintf("user%d:$6$x:19000:0:99999:7:::\n", i)
				a.WriteString(line)
				switch {
				case i >= tc.n-tc.cut:
				case i%tc.every == 0 || rng.IntN(50) == 0:
					b.WriteString(strings.Replace(line, "99999", "365", 1))
				default:
					b.WriteString(line)
				}
			}
			for i := range tc.grow {
				fmt.Fprintf(&b, "new%d:x:1::::\n", i)
			}
			d := UnifiedDiff("a/f", "b/f", []byte(a.String()), []byte(b.String()))
			if got := applyUnified(t, a.String(), d); got != b.String() {
				t.Fatalf("applying the diff does not give the new content (diff %d bytes)", len(d))
			}
		})
	}
}
