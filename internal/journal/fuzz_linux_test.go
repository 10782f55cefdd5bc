//go:build linux

package journal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// FuzzRollbackRecords hands Rollback a journal it did not write — edited,
// forged or damaged — for a small tree next to a directory standing in
// for the rest of the host, with a symlink in the tree pointing there.
// Whatever the records say, forced or not, Rollback must not panic and
// must change nothing outside the target root. (Without root, restoring
// owners fails; that is reported like any other failure.)
func FuzzRollbackRecords(f *testing.F) {
	alpha := remedy.Digest([]byte("alpha\n"))
	rec := func(r record) string {
		b, _ := json.Marshal(r)
		return string(b) + "\n"
	}
	file := &fileState{Exists: true, Type: typeFile, SHA256: alpha, Mode: 0o644}
	parent := &dirTimes{Path: "etc", Atime: 1, Mtime: 2}
	f.Add([]byte(rec(record{Seq: 1, Kind: recBefore, Path: "etc/a.conf", Action: remedy.ActWrite, Tmp: "etc/.a.conf.cradle-x", Prior: file, Parent: parent}) +
		rec(record{Seq: 1, Kind: recDone, After: "file|1a4|0:0|x"}) +
		rec(record{Seq: 2, Kind: recBefore, Path: "etc/new", Action: remedy.ActMkdir, Prior: &fileState{}, Parent: parent}) +
		rec(record{Seq: 3, Kind: recBefore, Path: "etc/b.conf", Action: remedy.ActMeta, Prior: &fileState{Exists: true, Type: typeFile, SHA256: alpha, Mode: 0o4755, UID: 7}, Parent: parent}) +
		rec(record{Seq: 4, Kind: recLeft, Path: "etc/b.conf"})))
	f.Add([]byte(rec(record{Seq: 1, Kind: recBefore, Path: "lnk/x", Action: remedy.ActWrite, Prior: file, Parent: &dirTimes{Path: "lnk"}}) +
		rec(record{Seq: 2, Kind: recBefore, Path: "lnk", Action: remedy.ActSymlink, Prior: &fileState{Exists: true, Type: typeDir, Mode: 0o777}})))
	f.Add([]byte(rec(record{Seq: 1, Kind: recBefore, Path: "etc/a.conf", Action: remedy.ActRemove, Prior: &fileState{}}) +
		rec(record{Seq: 1, Kind: recRBTmp, Path: "etc/a.conf", Tmp: "etc/../../outside/host.conf"}) +
		`{"seq":2,"kind":"before","path":"../outside/host.conf","prior":{"exists":false}}` + "\n"))
	f.Add([]byte(`{"seq":1,"kind":"before","path":"etc","action":"meta","prior":{"exists":true,"type":"dir","mode":511},"parent":{"path":".","atime_ns":0,"mtime_ns":0}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := fastDir(t) // fsyncs on a busy disk would make this crawl
		root, outside := filepath.Join(dir, "root"), filepath.Join(dir, "outside")
		for _, p := range []string{"etc/a.conf", "etc/b.conf"} {
			must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
			must(t, os.WriteFile(filepath.Join(root, p), []byte("changed\n"), 0o600))
		}
		must(t, os.MkdirAll(outside, 0o755))
		must(t, os.WriteFile(filepath.Join(outside, "host.conf"), []byte("host\n"), 0o644))
		must(t, os.Symlink("../outside", filepath.Join(root, "lnk")))
		hostBefore := treeHash(t, outside)

		s, err := Open(filepath.Join(dir, "store"))
		must(t, err)
		var st syscall.Stat_t
		must(t, syscall.Stat(root, &st))
		run := &Run{ID: "20260101T000000Z-abcd", State: StateApplied, Root: &remedy.RootID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}}
		must(t, os.MkdirAll(filepath.Join(s.runDir(run.ID), "blobs"), 0o700))
		must(t, s.saveRun(run))
		_, err = putBlob(s.runDir(run.ID), []byte("alpha\n"))
		must(t, err)
		must(t, os.WriteFile(journalPath(s.runDir(run.ID)), data, 0o600))

		for _, force := range []bool{false, true} {
			res, err := s.Rollback(context.Background(), root, run.ID, RollbackOptions{Force: force})
			if err == nil && res == nil {
				t.Fatal("Rollback returned neither a result nor an error")
			}
		}
		sameTree(t, hostBefore, treeHash(t, outside))
		ents, err := os.ReadDir(dir)
		must(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"outside", "root", "store"}) {
			t.Fatalf("next to the root: %s", strings.Join(names, " "))
		}
	})
}
