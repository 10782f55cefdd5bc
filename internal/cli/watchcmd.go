package cli

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

const watchLong = `Watch a target for drift from its approved baseline snapshot: evaluate as
"cradle drift" does, every --interval and whenever a file the snapshot
covers changes (inotify on Linux, debounced; the interval only elsewhere),
and emit one JSON line per event to standard output or -o FILE (appended):
  {"schema_version":"1.1", "kind":"watch_event", "event":"drift", "time":…,
   "target":…, "item":{<an item as in cradle drift>}}
      for each difference seen for the first time;
  {"event":"resolved", …} when an announced difference is gone;
  {"event":"error", "error":…} when an evaluation fails (for instance the
      snapshot no longer verifies).
Events also go to --webhook (HTTP POST of the JSON, 10 s timeout, bounded
retries, queued so the loop never waits for it) and --syslog (RFC 5424 to
/dev/log, facility auth, MSGID = event).

Resource bounds: the process lowers its CPU priority (--nice, default 10)
and I/O priority (--ioprio idle) on Linux, and never rescans more often than
--min-interval however often files change. SIGINT/SIGTERM stop it cleanly.
--once evaluates once and exits.

Exit codes: 0 stopped (or --once done); 2 no approved snapshot at start,
usage error; 3 the snapshot does not verify at start; 1 internal error.`

type watchFlags struct {
	targetFlags
	interval, minInterval time.Duration
	nice                  int
	ioprio                string
	once                  bool
	sink                  eventSinkFlags
}

func newWatchCmd(env *Env) *cobra.Command {
	f := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch [--root DIR | --image FILE] [--interval 5m] [--webhook URL] [--syslog] [--once] [-o FILE]",
		Short: "Continuously report drift from the approved baseline as JSON events",
		Long:  watchLong,
		Example: `  cradle watch --webhook https://alerts.example/cradle --syslog
  cradle watch --root /srv/rootfs --interval 1h -o /var/log/cradle-drift.jsonl
  cradle watch --once`,
		RunE: func(cmd *cobra.Command, args []string) error { return runWatch(cmd, env, f) },
	}
	f.targetFlags.register(cmd, targetOpts{what: "watch"})
	fl := cmd.Flags()
	fl.DurationVar(&f.interval, "interval", 5*time.Minute, "evaluate at least every `DURATION`")
	fl.DurationVar(&f.minInterval, "min-interval", 30*time.Second, "never evaluate more often than every `DURATION`")
	fl.IntVar(&f.nice, "nice", 10, "CPU nice level to run at (0 leaves it; Linux)")
	fl.StringVar(&f.ioprio, "ioprio", "idle", "I/O priority class: idle, best-effort or none (Linux)")
	fl.BoolVar(&f.once, "once", false, "evaluate once, emit the events and exit")
	f.sink.register(cmd)
	return cmd
}

func runWatch(cmd *cobra.Command, env *Env, f *watchFlags) error {
	spec, err := f.spec(cmd)
	if err != nil {
		return err
	}
	in := app.WatchInput{
		Target: spec, Interval: f.interval, MinInterval: f.minInterval, Nice: f.nice, IOPrio: f.ioprio,
		Once: f.once,
	}
	sink, err := f.sink.open(env.Stdout)
	if err != nil {
		return err
	}
	defer sink.close()
	in.Events, in.Webhook, in.SyslogSocket = sink.events, sink.webhook, sink.syslogSocket
	return env.app().Watch(cmd.Context(), in)
}

// eventSinkFlags are where a watch sends its events: JSON lines to
// stdout or an appended file, and optionally a webhook and syslog.
type eventSinkFlags struct {
	webhook, syslogSocket, output string
	syslog                        bool
}

func (f *eventSinkFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.webhook, "webhook", "", "POST each event as JSON to `URL`")
	fl.BoolVar(&f.syslog, "syslog", false, "send each event to the local syslog (RFC 5424 over /dev/log)")
	fl.StringVar(&f.syslogSocket, "syslog-socket", app.DefaultSyslogSocket, "syslog unix socket `PATH`")
	fl.StringVarP(&f.output, "output", "o", "", "append events to `FILE` instead of stdout")
}

type eventSink struct {
	events                io.Writer
	webhook, syslogSocket string
	close                 func()
}

// open opens the event log: stdout, or the -o file opened for appending
// (events are a log) with owner-only access.
func (f *eventSinkFlags) open(stdout io.Writer) (eventSink, error) {
	s := eventSink{events: stdout, webhook: f.webhook, close: func() {}}
	if f.syslog {
		s.syslogSocket = f.syslogSocket
	}
	if f.output == "" {
		return s, nil
	}
	fh, err := os.OpenFile(f.output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return s, app.Input(err)
	}
	s.events, s.close = fh, func() { fh.Close() }
	return s, nil
}
