package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

const fimWatchLong = `Watch what the fim policy selects and report, within about a second
of a change, every entry that differs from the verified integrity
database, without walking the whole tree: on Linux with fanotify
filesystem marks where the kernel and privileges allow (root), recursive
inotify otherwise (new directories are watched as they appear; a lost
event queue leads to a rescan of the affected subtree). Each debounced
batch of changed paths is stat'ed and hashed through the target and
compared with the database, and one JSON line is emitted per entry,
to standard output or -o FILE (appended):
  {"schema_version":"1.1", "kind":"watch_event", "event":"integrity",
   "time":…, "target":…, "change":{"path":…, "kind":"added|removed|changed",
   "type":…, "diffs":[{"attribute":…, "old":…, "new":…}]}}
  {"event":"resolved", "change":{"path":…}} when an announced entry is back
      to its recorded state;
  {"event":"error", "error":…} before the watch ends on a database that
      no longer verifies.
Events also go to --webhook and --syslog as with "cradle watch". The state
at the start is not reported: run "cradle fim check" for it. A database
replaced by "cradle fim update" is verified and watched against; any other
change to it ends the watch. SIGINT/SIGTERM stop it cleanly. Outside
Linux (or with --backend poll) the selection is re-stat'ed every second
or more (twice the last walk's time) and differences are reported.

Exit codes: 130 stopped (SIGINT, SIGTERM); 2 no database, the database fails verification
(tampering) at the start or while watching, nothing to watch, usage or
input error; 1 internal error.`

type fimWatchFlags struct {
	targetFlags
	config, db, backend string
	debounce            time.Duration
	sink                eventSinkFlags
}

func newFimWatchCmd(env *Env) *cobra.Command {
	f := &fimWatchFlags{}
	cmd := &cobra.Command{
		Use:   "watch [--root DIR] [--config FILE] [--db FILE] [--debounce 300ms] [--webhook URL] [--syslog] [-o FILE]",
		Short: "Report changes to integrity-monitored files as they happen, as JSON events",
		Long:  fimWatchLong,
		Example: `  cradle fim watch --syslog
  cradle fim watch --root /srv/rootfs --config fim.yaml -o /var/log/cradle-fim.jsonl
  cradle fim watch --webhook https://alerts.example/cradle --debounce 1s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runFimWatch(cmd, env, f) },
	}
	f.targetFlags.register(cmd, targetOpts{what: "watch", writable: true, noQuiet: true})
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "policy `FILE` (YAML paths: list; default the built-in policy)")
	fl.StringVar(&f.db, "db", "", "integrity database `FILE` (default $CRADLE_HOME/fim/<target>.db)")
	fl.DurationVar(&f.debounce, "debounce", 300*time.Millisecond, "quiet `DURATION` that ends a batch of changes")
	fl.StringVar(&f.backend, "backend", "", "force the watching mechanism: fanotify, inotify or poll (default: fanotify when allowed, inotify otherwise; poll outside Linux)")
	f.sink.register(cmd)
	return cmd
}

func runFimWatch(cmd *cobra.Command, env *Env, f *fimWatchFlags) error {
	spec, err := f.spec(cmd)
	if err != nil {
		return err
	}
	in := app.FIMWatchInput{FIMInput: app.FIMInput{Target: spec, Config: f.config, DB: f.db},
		Debounce: f.debounce, Backend: f.backend,
		Ready: func(backend string, roots int) {
			fmt.Fprintf(env.Stderr, "cradle: watching %d location(s) with %s\n", roots, backend)
		}}
	sink, err := f.sink.open(env.Stdout)
	if err != nil {
		return err
	}
	defer sink.close()
	in.Events, in.Webhook, in.SyslogSocket = sink.events, sink.webhook, sink.syslogSocket
	return env.app().FIMWatch(cmd.Context(), in)
}
