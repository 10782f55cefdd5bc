package journal

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// FuzzParseJournal feeds damaged and edited journals to the parser and the
// record validation Rollback applies: never a panic, and a record that
// passes names only paths below the target root and blobs inside the
// run's blob directory.
func FuzzParseJournal(f *testing.F) {
	sum := strings.Repeat("ab", 32)
	f.Add([]byte(`{"seq":1,"kind":"before","path":"etc/ssh/sshd_config","action":"write","tmp":"etc/ssh/.sshd_config.cradle-x","prior":{"exists":true,"type":"file","sha256":"` + sum + `","mode":384,"uid":0,"gid":0},"parent":{"path":"etc/ssh","atime_ns":1,"mtime_ns":2}}
{"seq":1,"kind":"done","after":"file|180|0:0|x"}
{"seq":2,"kind":"rt-before","runtime":{"kind":"sysctl.runtime","key":"kernel.sysrq","value":"0","Rules":["r"]}}
{"seq":2,"kind":"rt-done","old":"16"}
{"seq":1,"kind":"restored","path":"etc/ssh/sshd_config"}
`))
	f.Add([]byte(`{"seq":1,"kind":"before","path":"../../etc/shadow","prior":{"exists":false}}` + "\n"))
	f.Add([]byte(`{"seq":1,"kind":"before","path":"etc/x","prior":{"exists":true,"type":"file","sha256":"../../../../dev/zero"}}` + "\n"))
	f.Add([]byte(`{"seq":1,"kind":"before","path":"/etc/x","prior":{"exists":true,"type":"dir"},"parent":{"path":"/"}}` + "\n{\"seq\":2,\"kind\":\"bef"))
	f.Add([]byte("\n\n{}\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseJournal(data)
		if err != nil {
			return
		}
		runDir := filepath.Join(string(filepath.Separator)+"store", "run")
		blobs := filepath.Join(runDir, "blobs") + string(filepath.Separator)
		for _, r := range recs {
			if r.complete() != nil {
				continue
			}
			for _, p := range []string{r.Path, r.Tmp} {
				if p != "" && (!filepath.IsLocal(p) || strings.HasPrefix(p, "/")) {
					t.Fatalf("record %d accepted with path %q", r.Seq, p)
				}
			}
			if r.Kind == recBefore && (r.Prior == nil || r.Path == "") {
				t.Fatalf("before record %d accepted without prior state or path", r.Seq)
			}
			if r.Parent != nil && r.Parent.Path != "." && !filepath.IsLocal(r.Parent.Path) {
				t.Fatalf("record %d accepted with parent %q", r.Seq, r.Parent.Path)
			}
			if st := r.Prior; st != nil && st.Exists && st.Type == typeFile {
				if p := blobPath(runDir, st.SHA256); !strings.HasPrefix(p, blobs) || strings.ContainsRune(st.SHA256, filepath.Separator) {
					t.Fatalf("record %d accepted with blob %q outside the run", r.Seq, p)
				}
			}
		}
	})
}

// FuzzRunMetadata reads arbitrary run.json files through Get and List:
// errors, never a panic.
func FuzzRunMetadata(f *testing.F) {
	f.Add([]byte(`{"id":"20260101T000000Z-abcd","time":"2026-01-01T00:00:00Z","user":"root","target":"host","rules":["ssh.root"],"operations":2,"state":"applied","paths":["/etc/ssh/sshd_config"]}`))
	f.Add([]byte(`{"id":"../../x","time":"not a time","state":7}`))
	f.Add([]byte(`{"rolled_back_at":null,"paths":null}` + "\n garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		const id = "20260101T000000Z-abcd"
		if err := os.Mkdir(s.runDir(id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.runDir(id), "run.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := s.Get(id)
		if err == nil && r == nil {
			t.Fatal("Get returned neither a run nor an error")
		}
		if _, err := s.List(); err == nil && r == nil {
			t.Fatal("List accepted a run Get rejects")
		}
	})
}

func TestRecordCompleteRejectsEscapes(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	file := func(s string) *fileState { return &fileState{Exists: true, Type: typeFile, SHA256: s} }
	tests := []struct {
		name string
		rec  record
		ok   bool
	}{
		{"valid", record{Kind: recBefore, Path: "etc/x", Tmp: "etc/.x.cradle-1", Prior: file(sum), Parent: &dirTimes{Path: "etc"}}, true},
		{"top-level parent", record{Kind: recBefore, Path: "x", Prior: &fileState{}, Parent: &dirTimes{Path: "."}}, true},
		{"dot dot", record{Kind: recBefore, Path: "../etc/shadow", Prior: &fileState{}}, false},
		{"inner dot dot", record{Kind: recBefore, Path: "etc/../../x", Prior: &fileState{}}, false},
		{"absolute", record{Kind: recBefore, Path: "/etc/x", Prior: &fileState{}}, false},
		{"root itself", record{Kind: recBefore, Path: ".", Prior: &fileState{}}, false},
		{"no path", record{Kind: recBefore, Prior: &fileState{}}, false},
		{"tmp escapes", record{Kind: recBefore, Path: "etc/x", Tmp: "../x", Prior: &fileState{}}, false},
		{"parent escapes", record{Kind: recBefore, Path: "etc/x", Prior: &fileState{}, Parent: &dirTimes{Path: ".."}}, false},
		{"blob escapes", record{Kind: recBefore, Path: "etc/x", Prior: file("../../../../dev/zero")}, false},
		{"blob upper case", record{Kind: recBefore, Path: "etc/x", Prior: file(strings.ToUpper(sum))}, false},
	}
	for _, tt := range tests {
		if err := tt.rec.complete(); (err == nil) != tt.ok {
			t.Errorf("%s: complete() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// drift names every way a path can differ from what the plan saw, and
// nothing else.
func TestDrift(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	file := remedy.Seen{Exists: true, SHA256: sum, Mode: 0o644}
	cur := func(f func(*fileState)) *fileState {
		st := &fileState{Exists: true, Type: typeFile, SHA256: sum, Mode: 0o644}
		f(st)
		return st
	}
	tests := []struct {
		name string
		seen remedy.Seen
		cur  *fileState
		want string
	}{
		{"same", file, cur(func(*fileState) {}), ""},
		{"absent both", remedy.Seen{}, &fileState{}, ""},
		{"appeared", remedy.Seen{}, cur(func(*fileState) {}), "appeared"},
		{"removed", file, &fileState{}, "removed"},
		{"type", file, cur(func(s *fileState) { s.Type = typeSymlink }), "now a symlink"},
		{"content", file, cur(func(s *fileState) { s.SHA256 = strings.Repeat("cd", 32) }), "content changed"},
		{"unreadable at plan", remedy.Seen{Exists: true, SHA256: remedy.Unreadable}, cur(func(*fileState) {}), "could not be read"},
		{"content not planned on", remedy.Seen{Exists: true, Mode: 0o644}, cur(func(s *fileState) { s.SHA256 = "" }), ""},
		{"mode", file, cur(func(s *fileState) { s.Mode = 0o600 }), "mode changed"},
		{"setuid", file, cur(func(s *fileState) { s.Mode = 0o644 | fs.ModeSetuid }), "mode changed"},
		{"owner", file, cur(func(s *fileState) { s.UID = 1 }), "owner changed"},
		{"link", remedy.Seen{Exists: true, Type: fs.ModeSymlink, Link: "a", Mode: 0o777}, &fileState{Exists: true, Type: typeSymlink, Link: "b"}, "symlink now points"},
	}
	for _, tt := range tests {
		got := drift(tt.seen, tt.cur)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: drift = %q, want %q", tt.name, got, tt.want)
		}
	}
	if hardLinked(remedy.ActMeta, &fileState{Exists: true, Type: typeFile, Nlink: 2}) == "" ||
		hardLinked(remedy.ActWrite, &fileState{Exists: true, Type: typeFile, Nlink: 2}) != "" ||
		hardLinked(remedy.ActMeta, &fileState{Exists: true, Type: typeDir, Nlink: 5}) != "" {
		t.Error("hardLinked: a mode or owner change of a multiply-linked non-directory only")
	}
}
