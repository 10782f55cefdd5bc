package evreport

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium returns the browser the tests drive: CRADLE_TEST_CHROMIUM names
// it (.ci/run installs Debian's chromium and sets it). Without it the test
// is skipped, or fails when CRADLE_REQUIRE_FIXTURES=1, as in CI.
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CRADLE_TEST_CHROMIUM")
	if p == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("CRADLE_TEST_CHROMIUM is not set (apt-get install chromium; see .ci/run)")
		}
		t.Skip("CRADLE_TEST_CHROMIUM not set")
	}
	return p
}

// artifactDir is where the screenshot is kept: $CRADLE_TEST_ARTIFACTS/evreport
// when set (CI keeps that directory), else a directory removed after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CRADLE_TEST_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, "evreport")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browse opens file in headless Chromium and returns what went wrong in the
// page — console messages, exceptions, browser log entries of level warning
// or error, and every request other than the document itself — and a
// full-page PNG screenshot.
func browse(t *testing.T, exe, file string) (problems []string, png []byte) {
	t.Helper()
	doc := (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	var mu sync.Mutex
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			note("console.%s: %s", ev.Type, strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil {
				note("exception: %s %s", d.Text, d.Exception.Description)
			} else {
				note("exception: %s", d.Text)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelWarning || ev.Entry.Level == log.EntryLevelError {
				note("log %s/%s: %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != doc {
				note("request: %s", ev.Request.URL)
			}
		}
	}))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(doc)); err != nil {
		t.Fatalf("open %s in %s: %v", doc, exe, err)
	}
	// Late loads (fonts, images) would start after the load event.
	if err := chromedp.Do(ctx, chromedp.Sleep(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), problems...), png
}

// TestHTMLInChromium is the acceptance test of the report: opened from a
// file in headless Chromium it renders with no console message and no
// network request, and a screenshot is kept.
func TestHTMLInChromium(t *testing.T) {
	exe := chromium(t)
	dir := artifactDir(t)
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, renderHTML(t, sampleModel()), 0o644); err != nil {
		t.Fatal(err)
	}
	problems, png := browse(t, exe, file)
	for _, p := range problems {
		t.Error(p)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Fatalf("screenshot is not a PNG of a rendered page (%d bytes)", len(png))
	}
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	// The check itself must see a load and a CSP violation: the same report
	// with an image from the network has to fail it.
	bad := bytes.Replace(renderHTML(t, sampleModel()), []byte("</main>"),
		[]byte(`<img src="https://report.invalid/pixel.png" alt=""></main>`), 1)
	badFile := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(badFile, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if problems, _ := browse(t, exe, badFile); len(problems) == 0 {
		t.Error("a report loading an image from the network passed the check")
	} else {
		t.Logf("control: %q", problems)
	}
}
