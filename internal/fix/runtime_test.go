package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

func TestHostRuntimeSysctl(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "net", "ipv4", "ip_forward")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := HostRuntime{ProcSys: dir}
	rc := remedy.Runtime{Kind: remedy.KindSysctl, Key: "net.ipv4.ip_forward", Value: "0"}
	old, err := h.Apply(context.Background(), rc)
	if err != nil || old != "1" {
		t.Fatalf("Apply = %q, %v", old, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "0\n" {
		t.Fatalf("after apply: %q", b)
	}
	if err := h.Revert(context.Background(), rc, old); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "1\n" {
		t.Fatalf("after revert: %q", b)
	}
	if _, err := h.Apply(context.Background(), remedy.Runtime{Kind: remedy.KindPackage, Key: "-rf", Action: "remove"}); err == nil {
		t.Fatal("option-like package name accepted")
	}
}
