package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/target"
)

// WatchInput is a drift watch.
type WatchInput struct {
	Target                target.Spec
	Interval, MinInterval time.Duration
	// Nice and IOPrio ("idle", "best-effort", "none") lower the process's
	// priority on Linux.
	Nice   int
	IOPrio string
	// Events receives one JSON line per event.
	Events io.Writer
	// Webhook, when set, receives each event as an HTTP POST.
	Webhook string
	// SyslogSocket, when set, receives each event as RFC 5424 syslog.
	SyslogSocket string
	// Once evaluates once and returns.
	Once bool
}

// Watch evaluates drift at every interval and whenever a covered file
// changes, and emits an event for each new and each resolved difference,
// until ctx is done (nil) or the first evaluation fails (its error: no
// snapshot is Usage, a tampered one Findings).
func (a *App) Watch(ctx context.Context, in WatchInput) error {
	switch {
	case in.Interval <= 0:
		return Usagef("the interval must be positive")
	case in.MinInterval < 0:
		return Usagef("the minimum interval must not be negative")
	case in.Interval < in.MinInterval:
		return Usagef("interval %s is shorter than the minimum interval %s", in.Interval, in.MinInterval)
	case in.Nice < 0 || in.Nice > 19:
		return Usagef("nice level must be between 0 and 19")
	case in.IOPrio != "idle" && in.IOPrio != "best-effort" && in.IOPrio != "none":
		return Usagef("unknown I/O priority class %q (idle, best-effort, none)", in.IOPrio)
	}
	if err := checkWebhook(in.Webhook); err != nil {
		return err
	}
	// Warnings come from the loop and from the webhook's sender: one
	// lock keeps them whole.
	var warnMu sync.Mutex
	outer := a
	warn := func(err error) {
		warnMu.Lock()
		outer.warn(err)
		warnMu.Unlock()
	}
	a = &App{Getenv: outer.Getenv, UID: outer.UID, Version: outer.Version, Warn: warn}
	if err := drift.LowerPriority(in.Nice, in.IOPrio); err != nil {
		warn(err)
	}
	em, closeEm, err := newEmitter(in.Events, in.Webhook, in.SyslogSocket, warn)
	if err != nil {
		return err
	}
	defer closeEm()
	identity := in.Target.ID()
	lastErr := ""
	evaluateOnce := func(ctx context.Context) (*evaluation, error) {
		ev, err := a.evaluate(ctx, in.Target, nil)
		if err != nil {
			if ctx.Err() == nil && err.Error() != lastErr {
				lastErr = err.Error()
				e := drift.NewEvent(drift.EventError, time.Now().UTC(), identity)
				e.Error = err.Error()
				em.emit(e)
			}
			return nil, err
		}
		lastErr = ""
		checked := ev.report.CheckedAt
		for _, g := range ev.gone {
			if g.Notified {
				e := drift.NewEvent(drift.EventResolved, checked, identity)
				e.Item = &g.Item
				em.emit(e)
			}
		}
		for _, it := range ev.state.Unnotified(ev.report.Items) {
			e := drift.NewEvent(drift.EventDrift, checked, identity)
			e.Item = &it
			em.emit(e)
		}
		ev.save(warn)
		return ev, nil
	}
	// The first evaluation decides whether watching makes sense at all: no
	// snapshot or a tampered one ends the watch with its error.
	first, err := evaluateOnce(ctx)
	if err != nil && ctx.Err() != nil && !in.Once {
		return nil // stopped while evaluating: stopping is how a watch ends
	}
	if err != nil || in.Once {
		return err
	}
	started := false
	latest, watchedDigest := first, first.report.Snapshot
	err = drift.Watch(ctx, drift.WatchOptions{
		Interval: in.Interval, MinInterval: in.MinInterval, Dirs: watchDirs(in.Target, first.snap), Warn: warn,
		// A re-approval can make the rules read other files: watch those.
		Refresh: func() []drift.WatchDir {
			if latest.report.Snapshot == watchedDigest {
				return nil
			}
			watchedDigest = latest.report.Snapshot
			return watchDirs(in.Target, latest.snap)
		},
		Evaluate: func(ctx context.Context) error {
			if !started { // Watch evaluates immediately; that was done above
				started = true
				return nil
			}
			ev, err := evaluateOnce(ctx)
			if ev != nil {
				latest = ev
			}
			return err
		},
	})
	if err != nil { // watching failed: said on the event stream too
		e := drift.NewEvent(drift.EventError, time.Now().UTC(), identity)
		e.Error = err.Error()
		em.emit(e)
	}
	return err
}

// watchDirs are the directories to watch for changes to the snapshot's
// files: in the target's tree, or the file a target lives in.
func watchDirs(s target.Spec, snap *drift.Snapshot) []drift.WatchDir {
	if dir, ok := s.Dir(); ok {
		return drift.WatchDirs(dir, snap)
	}
	if p, ok := s.File(); ok {
		return []drift.WatchDir{{Dir: filepath.Dir(p), Names: []string{filepath.Base(p)}}}
	}
	return nil
}

func checkWebhook(url string) error {
	if url != "" && !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Usagef("webhook: want an http:// or https:// URL, got %q", url)
	}
	return nil
}

// newEmitter sends events to w (when set), the webhook (when set) and
// the syslog socket (when set); close gives queued webhook events a
// bounded chance to go out.
func newEmitter(w io.Writer, webhook, syslogSocket string, warn func(error)) (em *emitter, closeAll func(), err error) {
	em = &emitter{w: w, warn: warn}
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	if syslogSocket != "" {
		s, err := drift.DialSyslog(syslogSocket)
		if err != nil {
			return nil, nil, Input(err)
		}
		closers = append(closers, func() { s.Close() })
		em.syslog = s
	}
	if webhook != "" {
		em.webhook = drift.NewWebhook(webhook, warn)
		closers = append(closers, func() {
			cctx, cancel := context.WithTimeout(context.Background(), 2*drift.WebhookTimeout)
			defer cancel()
			em.webhook.Close(cctx)
		})
	}
	return em, closeAll, nil
}

// emitter fans events out to the line writer, the webhook and syslog.
type emitter struct {
	mu      sync.Mutex
	w       io.Writer
	webhook *drift.Webhook
	syslog  *drift.Syslog
	warn    func(error)
}

func (e *emitter) emit(ev drift.Event) {
	b, err := output.JSONLine(ev)
	if err != nil {
		e.warn(err)
		return
	}
	if e.w != nil {
		e.mu.Lock()
		_, err = e.w.Write(b)
		e.mu.Unlock()
		if err != nil {
			e.warn(fmt.Errorf("write event: %w", err))
		}
	}
	if e.webhook != nil {
		e.webhook.Send(ev)
	}
	if e.syslog != nil {
		if err := e.syslog.Send(ev); err != nil {
			e.warn(err)
		}
	}
}

// DefaultSyslogSocket is the local syslog socket.
const DefaultSyslogSocket = drift.DefaultSyslogSocket
