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

func TestOtherRemovals(t *testing.T) {
	sim := "NOTE: This is only a simulation!\nReading package lists...\nThe following packages will be REMOVED:\n  rpcbind nfs-common\nRemv nfs-common [1:2.6.2-4]\nRemv rpcbind:amd64 [1.2.6-6+b1]\n"
	got := otherRemovals(sim, "rpcbind")
	if len(got) != 1 || got[0] != "nfs-common" {
		t.Fatalf("otherRemovals = %v", got)
	}
	if got := otherRemovals("Remv telnet [0.17+2.4-2]\n", "telnet"); len(got) != 0 {
		t.Fatalf("only the package itself: %v", got)
	}
}
