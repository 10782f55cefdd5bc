package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/fim"
)

// Event kinds a watcher emits.
const (
	EventDrift    = "drift"    // an item seen for the first time
	EventResolved = "resolved" // an announced item is no longer present
	EventError    = "error"    // the evaluation failed (e.g. tampered snapshot)
	// EventIntegrity: `cradle fim watch` saw an entry differ from the
	// integrity database (Change); a later EventResolved with the same
	// path says it is back to the recorded state.
	EventIntegrity = "integrity"
)

// Event is one line a watcher emits: what happened (Event), when, to
// which target, and the drift item or the error. The item is nested, not
// inline, so its own kind cannot shadow the document's.
type Event struct {
	SchemaVersion string      `json:"schema_version"`
	Kind          string      `json:"kind"`
	Event         string      `json:"event"`
	Time          time.Time   `json:"time"`
	Target        string      `json:"target"`
	Item          *Item       `json:"item,omitempty"`
	Change        *fim.Change `json:"change,omitempty"`
	Error         string      `json:"error,omitempty"`
}

// NewEvent returns an event with its document header set.
func NewEvent(event string, t time.Time, target string) Event {
	return Event{SchemaVersion: EventSchemaVersion, Kind: EventKind, Event: event, Time: t, Target: target}
}

// Webhook delivery bounds.
const (
	WebhookTimeout = 10 * time.Second
	webhookRetries = 3
	webhookQueue   = 256
)

// Webhook POSTs each event as JSON from a background goroutine, so a slow
// or dead receiver never holds up evaluation: events queue (bounded; when
// the queue is full the event is dropped and reported), each request times
// out after WebhookTimeout and is retried a bounded number of times with
// backoff on network errors, 429 and 5xx.
type Webhook struct {
	url     string
	name    string // url without what may be a secret, for messages
	client  *http.Client
	backoff time.Duration
	warn    func(error)
	queue   chan []byte
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// NewWebhook starts a sender for url; warn receives delivery failures.
func NewWebhook(url string, warn func(error)) *Webhook {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhook{url: url, name: redactURL(url), client: &http.Client{Timeout: WebhookTimeout}, backoff: time.Second, warn: warn,
		queue: make(chan []byte, webhookQueue), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go w.run()
	return w
}

// Send queues ev without blocking.
func (w *Webhook) Send(ev Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		w.warn(fmt.Errorf("webhook: encode event: %w", err))
		return
	}
	select {
	case w.queue <- b:
	default:
		w.warn(fmt.Errorf("webhook %s: queue full, event dropped", w.name))
	}
}

// Close stops accepting events and waits for queued ones to be delivered
// until ctx is done; then pending deliveries are abandoned.
func (w *Webhook) Close(ctx context.Context) {
	w.once.Do(func() { close(w.queue) })
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
}

func (w *Webhook) run() {
	defer close(w.done)
	for b := range w.queue {
		if err := w.deliver(b); err != nil {
			w.warn(err)
		}
	}
}

func (w *Webhook) deliver(body []byte) error {
	var last error
	for attempt := range webhookRetries {
		if attempt > 0 {
			t := time.NewTimer(w.backoff << (attempt - 1))
			select {
			case <-t.C:
			case <-w.ctx.Done():
				t.Stop()
				return fmt.Errorf("webhook %s: abandoned: %w", w.name, last)
			}
		}
		retry, err := w.post(body)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			break
		}
	}
	return fmt.Errorf("webhook %s: %w", w.name, last)
}

func (w *Webhook) post(body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(w.ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		// The client's error quotes the whole URL, which may hold a
		// token (in its path, query or user info): keep only the cause.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return !errors.Is(err, context.Canceled), err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %s", resp.Status)
	}
	return false, fmt.Errorf("HTTP %s", resp.Status)
}

// redactURL is the scheme and host of a webhook URL: hooks often carry
// their secret in the path or query, or as user info, and warnings go to
// logs.
func redactURL(s string) string {
	u, err := neturl.Parse(s)
	if err != nil || u.Host == "" {
		return "(URL not shown)"
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		out += "/…"
	}
	return out
}
