package remedy

import (
	"fmt"
	"strings"
	"testing"
)

func benchDiffInput(n, every int) ([]byte, []byte) {
	var a, b strings.Builder
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("key%d = value %d\n", i, i)
		a.WriteString(line)
		if i%every == 0 {
			b.WriteString("#cradle: " + line)
		} else {
			b.WriteString(line)
		}
	}
	return []byte(a.String()), []byte(b.String())
}

func BenchmarkUnifiedDiff(b *testing.B) {
	for _, n := range []int{300, 3000} {
		x, y := benchDiffInput(n, 10)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				UnifiedDiff("a", "b", x, y)
			}
		})
	}
}
