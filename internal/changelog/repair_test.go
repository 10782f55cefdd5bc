package changelog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestRepair(t *testing.T) {
	k := testKey(t)
	tests := []struct {
		name    string
		damage  func(t *testing.T, l *Log)
		kept    int
		dropped int
		problem string
	}{
		{"head deleted", func(t *testing.T, l *Log) { os.Remove(l.HeadPath()) }, 4, 0, "head file"},
		{"head of the first entry lost", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			writeLines(t, l.Path(), ls[:1])
			os.Remove(l.HeadPath())
		}, 1, 0, "head file"},
		{"middle entry edited", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[2] = editPayload(t, ls[2], func(p string) string { return strings.Replace(p, `"CHG-2"`, `"CHG-9"`, 1) })
			writeLines(t, l.Path(), ls)
		}, 2, 2, "entry 3"},
		{"garbage appended", func(t *testing.T, l *Log) {
			f, _ := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("{not an entry}\n{\"x\":1}\n")
			f.Close()
		}, 4, 2, "malformed"},
		{"forged write-ahead file", func(t *testing.T, l *Log) {
			os.WriteFile(l.PendingPath(), []byte("{}\n{}\n"), 0o600)
		}, 4, 0, "pending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLog(t, k)
			appendN(t, l, 4)
			tc.damage(t, l)
			if _, err := l.Verify(keyring(k)); err == nil {
				t.Fatal("damage not detected")
			}
			// Append reads only the end of the log: an edit before it is
			// for Verify to find.
			if _, err := l.Append(context.Background(), Entry{Action: ActionNote}); tc.name != "middle entry edited" && !errors.Is(err, ErrDamaged) {
				t.Fatalf("Append on the damaged log = %v", err)
			} else if err == nil {
				tc.dropped++
			}
			res, err := l.Repair(context.Background(), Entry{Reason: "disk replaced", ChangeRef: "INC-7"})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Details
			if res.Intact || d.KeptEntries != tc.kept || d.DroppedLines != tc.dropped || !strings.Contains(d.Problem, tc.problem) || len(d.SavedAs) == 0 {
				t.Fatalf("repair %+v", res)
			}
			s, err := l.Verify(keyring(k))
			if err != nil || s.Entries != tc.kept+1 {
				t.Fatalf("after repair: %+v, %v", s, err)
			}
			f, _ := os.Open(l.Path())
			es, _ := Entries(f)
			f.Close()
			var got RepairDetails
			last := es[len(es)-1]
			if last.Action != ActionRepair || last.ChangeRef != "INC-7" || json.Unmarshal(last.Details, &got) != nil || got.KeptEntries != tc.kept {
				t.Fatalf("repair entry %+v", last)
			}
			for _, p := range d.SavedAs {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("saved copy: %v", err)
				}
			}
			if _, err := l.Append(context.Background(), Entry{Action: ActionNote}); err != nil {
				t.Fatalf("append after repair: %v", err)
			}
			if res, err := l.Repair(context.Background(), Entry{}); err != nil || !res.Intact {
				t.Fatalf("second repair: %+v %v", res, err)
			}
		})
	}
}

// FuzzHeadAndPending feeds arbitrary head and write-ahead files: errors,
// never a panic, and nothing that was not signed verifies.
func FuzzHeadAndPending(f *testing.F) {
	k := testKey(f)
	l := newLog(f, k)
	appendN(f, l, 2)
	head, _ := os.ReadFile(l.HeadPath())
	f.Add(head)
	f.Add([]byte(`{"target":"x","seq":1,"hash":"","time":"","key_id":"","sig":""}`))
	f.Add([]byte("{}\n{}\n"))
	keys := keyring(k)
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := parseHead(b); err == nil {
			if verifyHead(h, keys) == nil && h.Target != l.Target {
				t.Fatalf("unsigned head verified: %+v", h)
			}
		}
		dir := t.TempDir()
		p := dir + "/x.pending"
		os.WriteFile(p, b, 0o600)
		readPending(p, keys, l.Target)
	})
}
