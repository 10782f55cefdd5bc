package casestore

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cases.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { now = now.Add(time.Minute); return now })
	return s, p
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	c := &Case{Title: "RCE in the web UI", Product: "edge-gateway", Versions: []string{"2.4.0"}, Reporter: "researcher@example.org", Channel: "email",
		Received: time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))}
	if err := s.Create(ctx, c, "jdoe", "reported by e-mail"); err != nil {
		t.Fatal(err)
	}
	if c.ID != "CASE-2026-0001" || c.Status != New || c.Received.Location() != time.UTC || c.Received.Hour() != 8 {
		t.Fatalf("created %+v", c)
	}
	c2 := &Case{Title: "second", Received: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)}
	c3 := &Case{Title: "third", Received: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	for _, x := range []*Case{c2, c3} {
		if err := s.Create(ctx, x, "jdoe", ""); err != nil {
			t.Fatal(err)
		}
	}
	if c2.ID != "CASE-2027-0001" || c3.ID != "CASE-2026-0002" {
		t.Fatalf("ids %s %s", c2.ID, c3.ID)
	}
	aware := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	got, err := s.Update(ctx, "case-2026-0001", "jdoe", "exploitation seen by a customer", func(c *Case) (string, error) {
		c.Status, c.Exploited, c.Aware = Confirmed, true, &aware
		return "status", nil
	})
	if err != nil || got.Status != Confirmed || !got.Exploited {
		t.Fatalf("update: %v %+v", err, got)
	}
	// A failing update changes nothing.
	if _, err := s.Update(ctx, c.ID, "jdoe", "", func(c *Case) (string, error) {
		c.Title = "changed"
		return "", errors.New("refused")
	}); err == nil {
		t.Fatal("failing update accepted")
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	back, err := s.Get(ctx, c.ID)
	if err != nil || back.Title != "RCE in the web UI" || back.Aware == nil || !back.Aware.Equal(aware) {
		t.Fatalf("reopened: %v %+v", err, back)
	}
	evs, err := s.Events(ctx, c.ID)
	if err != nil || len(evs) != 2 || evs[1].Action != "status" || evs[1].Note != "exploitation seen by a customer" {
		t.Fatalf("events %v %+v", err, evs)
	}
	var ch map[string][2]any
	if err := json.Unmarshal(evs[1].Changes, &ch); err != nil {
		t.Fatal(err)
	}
	if ch["status"] != [2]any{"new", "confirmed"} || ch["exploited"] != [2]any{false, true} || len(ch) != 3 {
		t.Errorf("changes %v", ch)
	}
	all, _ := s.List(ctx, false)
	if len(all) != 3 || all[0].ID != c.ID || all[2].ID != c2.ID {
		t.Errorf("list order %v", ids(all))
	}
	s.Update(ctx, c3.ID, "jdoe", "", func(c *Case) (string, error) { c.Status = Closed; return "close", nil })
	open, _ := s.List(ctx, true)
	if len(open) != 2 {
		t.Errorf("open cases %v", ids(open))
	}
	if _, err := s.Get(ctx, "CASE-1999-0001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing case: %v", err)
	}
}

func ids(cs []*Case) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return strings.Join(out, ",")
}

func TestWorkflow(t *testing.T) {
	if !CanMove(New, Triage) || !CanMove(Closed, Triage) || CanMove(Closed, Fixed) || CanMove(New, Fixed) {
		t.Error("transitions")
	}
}

func TestRefusesOtherSchema(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.db.Exec(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("open: %v", err)
	}
}
