package pam

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestIncludeFanOutIsBounded(t *testing.T) {
	files := map[string]string{"etc/pam.d/login": strings.Repeat("auth include p1\n", 8)}
	for i := 1; i <= 10; i++ {
		files[fmt.Sprintf("etc/pam.d/p%d", i)] = strings.Repeat(fmt.Sprintf("auth include p%d\n", i+1), 8)
	}
	c, err := Collect(context.Background(), targettest.Tree(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stack("login", "auth"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Stack = %v, want an expansion budget error", err)
	}
}
