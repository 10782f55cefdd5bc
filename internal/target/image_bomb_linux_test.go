package target

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Image bombs: small archives that would make a naive reader hold or do
// without bound. Each is opened with the default limits in a child
// process, which reports its peak RSS; nothing may be left in $TMPDIR.

// zstdZeros is a zstd frame of n zero bytes made of RLE blocks: 4 bytes
// per 128 KiB, so terabytes of output cost a few megabytes.
func zstdZeros(n int64) []byte {
	const blk = 128 << 10
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3} // magic, no content size, 128 KiB window
	for n > 0 {
		size := min(n, blk)
		n -= size
		last := 0
		if n == 0 {
			last = 1
		}
		h := uint32(size)<<3 | 1<<1 | uint32(last) // RLE block
		b = append(b, byte(h), byte(h>>8), byte(h>>16), 0)
	}
	return b
}

func zstdBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	must(t, err)
	_, err = zw.Write(b)
	must(t, err)
	must(t, zw.Close())
	return buf.Bytes()
}

// zeroFileTar is a zstd-compressed tar holding one file of n zero bytes.
func zeroFileTar(t *testing.T, name string, n int64, extra ...*tar.Header) []byte {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	for _, h := range extra {
		must(t, tw.WriteHeader(h))
	}
	must(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: n, Mode: 0o644}))
	head := hdr.Bytes() // tar.Writer buffers nothing: the header is out
	pad := (512 - n%512) % 512
	out := append(zstdBytes(t, head), zstdZeros(n+pad+1024)...) // body, padding, end blocks
	return out
}

// zstdStream compresses what write produces.
func zstdStream(t *testing.T, write func(w io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	must(t, err)
	bw := bufio.NewWriterSize(zw, 1<<20)
	write(bw)
	must(t, bw.Flush())
	must(t, zw.Close())
	return buf.Bytes()
}

// rawEntry writes an empty regular file's tar header, with a GNU long
// name entry before it when the name needs one: much faster than
// tar.Writer for millions of entries.
func rawEntry(w io.Writer, name string) {
	if len(name) > 100 {
		n := len(name) + 1
		w.Write(rawHeader("././@LongLink", 'L', int64(n)))
		w.Write([]byte(name))
		w.Write(make([]byte, 512-(len(name)%512)))
		name = name[:100]
	}
	w.Write(rawHeader(name, '0', 0))
}

func rawHeader(name string, typ byte, size int64) []byte {
	var h [512]byte
	copy(h[0:100], name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar  \x00") // GNU
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h[:]
}

func endBlocks(w io.Writer) { w.Write(make([]byte, 1024)) }

type bombLayer struct {
	blob   []byte
	repeat int
}

// ociBomb writes an OCI layout tar whose manifest lists the layers (each
// repeated) and returns its path; outer compresses the whole archive.
func ociBomb(t *testing.T, dir string, layers []bombLayer, outer func([]byte) []byte) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, b []byte) {
		must(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(b)), Mode: 0o644}))
		_, err := tw.Write(b)
		must(t, err)
	}
	blob := func(b []byte) ociDescriptor {
		sum := sha256.Sum256(b)
		d := ociDescriptor{Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
		add("blobs/sha256/"+hex.EncodeToString(sum[:]), b)
		return d
	}
	var ls []ociDescriptor
	for _, l := range layers {
		d := blob(l.blob)
		d.MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
		for range max(l.repeat, 1) {
			ls = append(ls, d)
		}
	}
	man, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mtOCIManifest,
		"config": blob([]byte("{}")), "layers": ls})
	must(t, err)
	md := blob(man)
	md.MediaType = mtOCIManifest
	idx, err := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []ociDescriptor{md}})
	must(t, err)
	add("index.json", idx)
	must(t, tw.Close())
	b := buf.Bytes()
	if outer != nil {
		b = outer(b)
	}
	p := filepath.Join(dir, "bomb.tar")
	must(t, os.WriteFile(p, b, 0o644))
	return p
}

type bombResult struct {
	Err        string
	Limit      bool
	Files      int
	MaxRSS     int64 // bytes
	Seconds    float64
	CPUSeconds float64
}

// TestImageBombChild opens the image named by CRADLE_BOMB_IMAGE with the
// default limits, reads every file and reports on stdout.
func TestImageBombChild(t *testing.T) {
	p := os.Getenv("CRADLE_BOMB_IMAGE")
	if p == "" {
		t.Skip("run by TestImageBombs")
	}
	start := time.Now()
	var res bombResult
	tg, err := OpenImage(context.Background(), p, ImageOptions{})
	if err == nil {
		err = tg.Walk(context.Background(), WalkOptions{}, func(fi FileInfo) error {
			if fi.Mode.IsRegular() {
				res.Files++
				rc, err := tg.Open(fi.Path)
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.Copy(io.Discard, io.LimitReader(rc, MaxReadSize))
				return err
			}
			return nil
		})
		tg.Close()
	}
	if err != nil {
		res.Err, res.Limit = err.Error(), errors.Is(err, ErrImageLimit)
	}
	res.Seconds = time.Since(start).Seconds()
	var ru syscall.Rusage
	must(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	res.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	// ru_maxrss survives execve, so it would report the parent's peak:
	// VmHWM is this image's own.
	status, err := os.ReadFile("/proc/self/status")
	must(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			must(t, err)
			res.MaxRSS = kb << 10
		}
	}
	b, _ := json.Marshal(res)
	fmt.Printf("BOMB %s\n", b)
}

func runBomb(t *testing.T, p string) bombResult {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestImageBombChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CRADLE_BOMB_IMAGE="+p, "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res bombResult
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "BOMB "); ok {
			must(t, json.Unmarshal([]byte(s), &res))
			left, err := os.ReadDir(tmp)
			must(t, err)
			if len(left) > 0 {
				t.Errorf("left in $TMPDIR: %v", left)
			}
			return res
		}
	}
	t.Fatalf("no result from child:\n%s", out)
	return res
}

func TestImageBombs(t *testing.T) {
	if os.Getenv("CRADLE_TEST_BOMBS") != "1" {
		t.Skip("set CRADLE_TEST_BOMBS=1 (bench/image-bombs.sh): opens bombs of up to 64 GiB, minutes of CPU")
	}
	if raceEnabled {
		t.Skip("too slow under the race detector")
	}
	const gib = 1 << 30
	tests := []struct {
		name      string
		build     func(t *testing.T, dir string) string
		wantLimit bool
	}{
		{"layer listed many times", func(t *testing.T, dir string) string {
			return ociBomb(t, dir, []bombLayer{{blob: zeroFileTar(t, "zero", 4*gib), repeat: 256}}, nil)
		}, true},
		{"compressed archive expanding hugely", func(t *testing.T, dir string) string {
			return ociBomb(t, dir, nil, func(b []byte) []byte {
				// The archive, then 64 GiB of zeros in a member after it.
				var pad bytes.Buffer
				tw := tar.NewWriter(&pad)
				must(t, tw.WriteHeader(&tar.Header{Name: "pad", Typeflag: tar.TypeReg, Size: 64 * gib, Mode: 0o644}))
				body := b[:len(b)-1024] // without its end blocks
				return append(append(zstdBytes(t, body), zstdBytes(t, pad.Bytes())...), zstdZeros(64*gib+1024)...)
			})
		}, true},
		{"deep names", func(t *testing.T, dir string) string {
			deep := strings.Repeat("d/", 2000)
			return ociBomb(t, dir, []bombLayer{{blob: zstdStream(t, func(w io.Writer) {
				for i := 0; i < 1100; i++ {
					rawEntry(w, fmt.Sprintf("%d/%sf", i, deep))
				}
				endBlocks(w)
			})}}, nil)
		}, true},
		{"many long names", func(t *testing.T, dir string) string {
			long := strings.Repeat("n", 4000)
			return ociBomb(t, dir, []bombLayer{{blob: zstdStream(t, func(w io.Writer) {
				for i := 0; i < 70000; i++ {
					rawEntry(w, fmt.Sprintf("%s%d", long, i))
				}
				endBlocks(w)
			})}}, nil)
		}, true},
		{"millions of tiny entries", func(t *testing.T, dir string) string {
			return ociBomb(t, dir, []bombLayer{{blob: zstdStream(t, func(w io.Writer) {
				for i := 0; i < DefaultImageMaxEntries+1000; i++ {
					rawEntry(w, fmt.Sprintf("d%d/%d", i%1000, i))
				}
				endBlocks(w)
			})}}, nil)
		}, true},
		{"many tiny entries within the limit", func(t *testing.T, dir string) string {
			return ociBomb(t, dir, []bombLayer{{blob: zstdStream(t, func(w io.Writer) {
				for i := 0; i < DefaultImageMaxEntries-2000; i++ {
					rawEntry(w, fmt.Sprintf("d%d/%d", i%1000, i))
				}
				endBlocks(w)
			})}}, nil)
		}, false},
	}
	only := os.Getenv("CRADLE_TEST_BOMB")
	for _, tc := range tests {
		if only != "" && !strings.Contains(tc.name, only) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			p := tc.build(t, t.TempDir())
			fi, err := os.Stat(p)
			must(t, err)
			built := time.Since(start)
			res := runBomb(t, p)
			t.Logf("%d byte archive (built in %v): %.1fs (%.1fs CPU), peak RSS %d MiB, %d files read, err: %s",
				fi.Size(), built.Round(time.Millisecond), res.Seconds, res.CPUSeconds, res.MaxRSS>>20, res.Files, res.Err)
			if res.Limit != tc.wantLimit {
				t.Errorf("limit error %v (%s), want %v", res.Limit, res.Err, tc.wantLimit)
			}
			if res.MaxRSS > 1<<30 {
				t.Errorf("peak RSS %d MiB, want < 1 GiB", res.MaxRSS>>20)
			}
		})
	}
}
