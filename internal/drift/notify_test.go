package drift

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWebhookRetriesAndDelivers(t *testing.T) {
	var mu sync.Mutex
	var calls int
	var bodies []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev Event
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		bodies = append(bodies, ev)
	}))
	defer srv.Close()
	var warns []error
	w := NewWebhook(srv.URL, func(err error) { warns = append(warns, err) })
	w.backoff = time.Millisecond
	it := Item{Kind: KindFile, Path: "/etc/x", Before: "a", After: "b"}
	w.Send(Event{Event: EventDrift, Target: "host", Item: &it})
	w.Send(Event{Event: EventResolved, Target: "host", Item: &it})
	w.Close(context.Background())
	if len(bodies) != 2 || bodies[0].Event != EventDrift || bodies[0].Item == nil || bodies[0].Item.Path != "/etc/x" || bodies[1].Event != EventResolved {
		t.Fatalf("delivered %+v", bodies)
	}
	if calls != 3 || len(warns) != 0 {
		t.Errorf("calls %d, warnings %v", calls, warns)
	}
}

func TestWebhookGivesUpAndCloseIsBounded(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bad") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		<-block
	}))
	defer srv.Close()
	defer close(block)

	var mu sync.Mutex
	var warns []error
	warn := func(err error) { mu.Lock(); warns = append(warns, err); mu.Unlock() }
	w := NewWebhook(srv.URL+"/bad", warn)
	w.Send(Event{Event: EventError, Error: "x"})
	w.Close(context.Background())
	if len(warns) != 1 || !strings.Contains(warns[0].Error(), "400") {
		t.Fatalf("client error not reported once: %v", warns)
	}

	// A receiver that never answers: Close returns when its context ends.
	w = NewWebhook(srv.URL+"/hang", warn)
	w.Send(Event{Event: EventError, Error: "x"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(warns) != 2 {
		t.Errorf("abandoned delivery not reported: %v", warns)
	}
}

func TestSyslogMessage(t *testing.T) {
	it := Item{Kind: KindValue, Rule: "r"}
	ev := NewEvent(EventDrift, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "host")
	ev.Item = &it
	b, err := syslogMessage(ev, "h1", 42)
	if err != nil {
		t.Fatal(err)
	}
	want := `<36>1 2026-01-02T03:04:05Z h1 cradle 42 drift - {"schema_version":"1.1","kind":"watch_event","event":"drift"`
	if !strings.HasPrefix(string(b), want) {
		t.Errorf("got %s\nwant prefix %s", b, want)
	}
	ev.Event, ev.Item, ev.Error = EventError, nil, "boom"
	b, _ = syslogMessage(ev, "", 1)
	if !strings.HasPrefix(string(b), "<35>1 2026-01-02T03:04:05Z - cradle 1 error - ") || strings.Contains(string(b), `"item"`) {
		t.Errorf("error event: %s", b)
	}
}

func TestWatchStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Watch(ctx, WatchOptions{Interval: time.Hour, Evaluate: func(context.Context) error {
		n++
		cancel()
		return errors.New("evaluation failed")
	}})
	if err != nil || n != 1 {
		t.Fatalf("err %v, evaluations %d", err, n)
	}
}

func TestWatchDirs(t *testing.T) {
	s := &Snapshot{Files: []FileState{
		{Path: "etc/ssh/sshd_config"}, {Path: "etc/ssh/sshd_config.d", Listed: true}, {Path: "etc/passwd"},
	}}
	got := WatchDirs("/r", s)
	want := map[string]string{"/r/etc": "passwd", "/r/etc/ssh": "sshd_config,sshd_config.d", "/r/etc/ssh/sshd_config.d": "*"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for _, w := range got {
		names := ""
		for i, n := range w.Names {
			if i > 0 {
				names += ","
			}
			names += n
		}
		if w.Any {
			names = "*"
		}
		if want[w.Dir] != names {
			t.Errorf("%s: %q, want %q", w.Dir, names, want[w.Dir])
		}
	}
}

// TestWebhookErrorsHideSecret: delivery failures are warned without the
// URL's path, query or user info (where hooks keep their token).
func TestWebhookErrorsHideSecret(t *testing.T) {
	const secret = "T0KEN-s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer srv.Close()
	var mu sync.Mutex
	var warned []string
	warn := func(err error) { mu.Lock(); warned = append(warned, err.Error()); mu.Unlock() }
	w := NewWebhook(srv.URL+"/hooks/"+secret+"?key="+secret, warn)
	w.Send(NewEvent(EventDrift, time.Now(), "host"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.Close(ctx)
	// A transport error quotes the URL too.
	dead := NewWebhook("http://user:"+secret+"@127.0.0.1:1/"+secret, warn)
	if _, err := dead.post([]byte("{}")); err != nil {
		warn(err)
	}
	dead.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(warned) < 2 {
		t.Fatalf("warnings %q: want the failures", warned)
	}
	for _, m := range warned {
		if strings.Contains(m, secret) {
			t.Errorf("warning shows the secret: %s", m)
		}
	}
}
