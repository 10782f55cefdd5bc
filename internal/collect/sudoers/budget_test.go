package sudoers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestIncludeFanOutIsBounded(t *testing.T) {
	files := map[string]string{"etc/sudoers": strings.Repeat("@include /etc/s/a1\n", 2)}
	for i := 1; i <= 7; i++ {
		files[fmt.Sprintf("etc/s/a%d", i)] = strings.Repeat(fmt.Sprintf("@include /etc/s/a%d\n", i+1), 4)
	}
	if _, err := Collect(context.Background(), targettest.Tree(t, files)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Collect = %v, want a file budget error", err)
	}
}
