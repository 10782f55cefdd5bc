package access

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func BenchmarkComputeFixture(b *testing.B) {
	tg := targettest.Fixture(b)
	for b.Loop() {
		if _, err := Compute(b.Context(), tg, now); err != nil {
			b.Fatal(err)
		}
	}
}
