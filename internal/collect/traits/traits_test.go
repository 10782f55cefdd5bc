package traits

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// imageKind presents a tree as a container image.
type imageKind struct{ target.Target }

func (imageKind) Kind() target.Kind { return target.KindImage }

func TestLacking(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string // path → symlink target ("" for a file)
		image bool
		live  bool
		want  []string
	}{
		{"minimal userland", map[string]string{"etc/os-release": ""}, false, false, []string{Init, Kernel}},
		{"systemd tree", map[string]string{"sbin/init": "/lib/systemd/systemd"}, false, false, nil},
		{"merged usr", map[string]string{"usr/sbin/init": "../lib/systemd/systemd"}, false, false, nil},
		{"openrc without init", map[string]string{"sbin/openrc": ""}, false, false, []string{Kernel}},
		{"kernel without init", map[string]string{"boot/vmlinuz-6.1.0-18-amd64": ""}, false, false, []string{Init}},
		{"modules without init", map[string]string{"lib/modules/6.1.0/modules.dep": ""}, false, false, []string{Init}},
		{"image with systemd", map[string]string{"sbin/init": "/lib/systemd/systemd"}, true, false, []string{Init, Kernel}},
		{"live root", map[string]string{"etc/os-release": ""}, false, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, link := range tc.files {
				full := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if link != "" {
					err = os.Symlink(link, full)
				} else {
					err = os.WriteFile(full, nil, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			open := target.OpenRootFS
			if tc.live {
				open = target.OpenLiveRoot
			}
			tg, err := open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			if tc.image {
				tg = imageKind{tg}
			}
			got := Lacking(tg)
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
				t.Fatalf("lacking %v, want %v", keys, tc.want)
			}
			for k, why := range got {
				if why == "" {
					t.Errorf("%s lacked without a reason", k)
				}
				if tc.image && !strings.Contains(why, "container images") {
					t.Errorf("image reason %q does not name container images", why)
				}
			}
		})
	}
}
