package rsyslog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// Six levels of four includes each would load 4^6 files.
func TestIncludeFanOutIsBounded(t *testing.T) {
	files := map[string]string{"etc/rsyslog.conf": strings.Repeat("$IncludeConfig /etc/rs/a1\n", 2)}
	for i := 1; i <= 6; i++ {
		files[fmt.Sprintf("etc/rs/a%d", i)] = strings.Repeat(fmt.Sprintf("$IncludeConfig /etc/rs/a%d\n", i+1), 4)
	}
	if _, err := Collect(context.Background(), targettest.Tree(t, files)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Collect = %v, want a file budget error", err)
	}
}
