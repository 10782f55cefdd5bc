package kconfig

import (
	"context"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"6.1.0-18-amd64", "6.1.0-9-amd64", 1},
		{"6.10.0-1-amd64", "6.9.0-1-amd64", 1},
		{"5.14.0-427.el9.x86_64", "5.14.0-70.el9.x86_64", 1},
		{"6.1.0", "6.1.0", 0},
		{"6.1.0~rc1", "6.1.0", -1},
		{"6.1.0", "6.1.0-1", -1},
		{"6.1.0-rt", "6.1.0-1", -1},
		{"6.01", "6.1", 0},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

const cfg = "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_X86_64=y\nCONFIG_X86=y\nCONFIG_MODULE_SIG=y\n# CONFIG_MODULE_SIG_FORCE is not set\nCONFIG_LOCALVERSION=\"\"\nCONFIG_NR_CPUS=8192\n"

func TestParse(t *testing.T) {
	opts, lines := Parse([]byte(cfg))
	for k, v := range map[string]string{"CONFIG_MODULE_SIG": "y", "CONFIG_MODULE_SIG_FORCE": "n", "CONFIG_LOCALVERSION": `""`, "CONFIG_NR_CPUS": "8192"} {
		if opts[k] != v {
			t.Errorf("%s = %q, want %q", k, opts[k], v)
		}
	}
	if lines["CONFIG_MODULE_SIG_FORCE"] != 7 {
		t.Errorf("line %d", lines["CONFIG_MODULE_SIG_FORCE"])
	}
	if len(opts) != 6 {
		t.Errorf("%d options: %v", len(opts), opts)
	}
}

func TestCollect(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		live    bool
		version string
		file    string
	}{
		{"no kernel", map[string]string{"etc/os-release": "ID=debian\n"}, false, "", ""},
		{"newest", map[string]string{
			"boot/config-6.1.0-9-amd64":   cfg,
			"boot/config-6.1.0-18-amd64":  cfg,
			"boot/vmlinuz-6.1.0-18-amd64": "",
		}, false, "6.1.0-18-amd64", "/boot/config-6.1.0-18-amd64"},
		{"newest with a config", map[string]string{
			"boot/config-6.1.0-9-amd64":   cfg,
			"boot/vmlinuz-6.1.0-18-amd64": "",
		}, false, "6.1.0-9-amd64", "/boot/config-6.1.0-9-amd64"},
		{"modules directory", map[string]string{"usr/lib/modules/6.5.6-300.fc39.x86_64/config": cfg, "usr/lib/modules/6.5.6-300.fc39.x86_64/vmlinuz": ""}, false, "6.5.6-300.fc39.x86_64", "/usr/lib/modules/6.5.6-300.fc39.x86_64/config"},
		{"kernel without config", map[string]string{"boot/vmlinuz-6.1.0-18-amd64": ""}, false, "6.1.0-18-amd64", ""},
		{"live: running", map[string]string{
			"boot/config-6.1.0-9-amd64":  cfg,
			"boot/config-6.1.0-18-amd64": cfg,
			"proc/sys/kernel/osrelease":  "6.1.0-9-amd64\n",
		}, true, "6.1.0-9-amd64", "/boot/config-6.1.0-9-amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := targettest.Open(t, tt.live, tt.files)
			f, err := Collect(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			if f.Version != tt.version || f.File != tt.file {
				t.Errorf("version %q file %q, want %q %q", f.Version, f.File, tt.version, tt.file)
			}
			if f.HasKernel() != (tt.version != "") {
				t.Errorf("HasKernel %v", f.HasKernel())
			}
			if tt.file != "" && (f.Arch != "x86_64" || f.Value("CONFIG_MODULE_SIG_FORCE") != "n" || f.Value("CONFIG_ABSENT") != "n") {
				t.Errorf("arch %q, values %v", f.Arch, f.Options)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(cfg))
	f.Fuzz(func(t *testing.T, b []byte) {
		opts, lines := Parse(b)
		if len(opts) != len(lines) || len(opts) > MaxOptions {
			t.Fatalf("%d options, %d lines", len(opts), len(lines))
		}
	})
}
