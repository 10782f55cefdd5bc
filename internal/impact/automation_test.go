package impact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestFindSwitches(t *testing.T) {
	tests := []struct {
		line string
		want string // tool>target[ -n][ shell]: command; ...
	}{
		{`su - postgres -c "pg_dumpall > /var/backups/all.sql"`, `su>postgres shell: pg_dumpall > /var/backups/all.sql`},
		{`su postgres -c 'vacuumdb --all'`, `su>postgres shell: vacuumdb --all`},
		{`su -s /bin/sh www-data -c "php /srv/cron.php"`, `su>www-data: php /srv/cron.php`},
		{`/usr/bin/sudo -n /usr/bin/systemctl restart nginx`, `sudo>root -n: /usr/bin/systemctl restart nginx`},
		{`sudo -u deploy -i /srv/bin/release`, `sudo>deploy shell: /srv/bin/release`},
		{`sudo --non-interactive --user=app true`, `sudo>app -n: true`},
		{`runuser -u app -- /opt/app/run --once`, `runuser>app: /opt/app/run --once`},
		{`runuser -l postgres -c 'psql -c "select 1"'`, `runuser>postgres shell: psql -c "select 1"`},
		{`cd /srv && FOO=1 nice -n 10 sudo -n rsync -a a b >/dev/null 2>&1`, `sudo>root -n: rsync -a a b`},
		{`/bin/sh -c 'test -x /usr/bin/foo && su - backup -c /usr/local/bin/backup'`, `su>backup shell: /usr/local/bin/backup`},
		{`flock -n /run/x.lock sudo -n id`, `sudo>root -n: id`},
		{`sudo su - postgres`, `sudo>root: su - postgres; su>postgres shell: `},
		{`echo "su - postgres" # sudo -n in a comment`, ``},
		{`pg_dump db | gzip > /tmp/x.gz`, ``},
	}
	for _, tc := range tests {
		calls, _ := findSwitches(tc.line, 0)
		var got []string
		for _, c := range calls {
			s := c.tool + ">" + c.target
			if c.nonInteractive {
				s += " -n"
			}
			if c.loginShell {
				s += " shell"
			}
			got = append(got, s+": "+c.command)
		}
		if g := strings.Join(got, "; "); g != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.line, g, tc.want)
		}
	}
}

func TestParseCrontab(t *testing.T) {
	system := "SHELL=/bin/sh\nPATH=/usr/bin\n# m h dom mon dow user command\n17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n@reboot ops /usr/local/bin/warm % stdin\n30 2 * * * postgres\n"
	var got []string
	for _, e := range parseCrontab([]byte(system), true, "") {
		got = append(got, fmt.Sprintf("%d|%s|%s", e.line, e.user, e.command))
	}
	if g := strings.Join(got, "\n"); g != "4|root|cd / && run-parts --report /etc/cron.hourly\n5|ops|/usr/local/bin/warm" {
		t.Errorf("system crontab:\n%s", g)
	}
	got = nil
	for _, e := range parseCrontab([]byte("MAILTO=\"\"\n*/5 * * * * sudo -n /usr/bin/systemctl restart nginx\n"), false, "ops") {
		got = append(got, fmt.Sprintf("%d|%s|%s", e.line, e.user, e.command))
	}
	if g := strings.Join(got, "\n"); g != "2|ops|sudo -n /usr/bin/systemctl restart nginx" {
		t.Errorf("spool crontab:\n%s", g)
	}
}

// appliance is the appliance: a cloud-init administrator with
// NOPASSWD: ALL, an ops automation rule, a backup job that su's to
// postgres, a unit that runuser's to app, and sudo's own log lines.
func appliance(t *testing.T, extra map[string]string) map[string]string {
	files := map[string]string{
		"usr/lib/systemd/systemd": "",
		"etc/passwd": passwd + "ops:x:1003:1003::/home/ops:/bin/bash\npostgres:x:114:120:PostgreSQL:/var/lib/postgresql:/bin/bash\n" +
			"app:x:115:121::/srv/app:/bin/sh\nadmin:x:1004:1004::/home/admin:/bin/bash\n",
		"etc/sudoers":                 "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
		"etc/sudoers.d/90-cloud-init": "admin ALL=(ALL) NOPASSWD:ALL\n",
		"etc/sudoers.d/ops":           "Cmnd_Alias NGINX = /usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx\nops ALL=(ALL) NOPASSWD: NGINX\n",
		"etc/cron.d/pgbackup":         "# nightly dump\n30 2 * * * root su - postgres -c \"pg_dumpall > /var/backups/pg.sql\"\n",
		"var/spool/cron/crontabs/ops": "*/15 * * * * /usr/local/bin/nginx-watch\n",
		"usr/local/bin/nginx-watch":   "#!/bin/sh\nset -e\ncurl -fsS http://127.0.0.1/ >/dev/null || sudo -n /usr/bin/systemctl restart nginx\n",
		"usr/bin/curl":                "ELF",
		"usr/lib/systemd/system/app.service": "[Unit]\nDescription=App\n[Service]\nExecStartPre=/usr/sbin/runuser -u app -- /srv/app/migrate\n" +
			"ExecStart=/bin/su app -c /srv/app/run\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/multi-user.target.wants/app.service": "->/usr/lib/systemd/system/app.service",
		"usr/lib/systemd/system/report.service":                  "[Service]\nUser=admin\nExecStart=/usr/bin/sudo /usr/local/bin/report\n",
		"usr/lib/systemd/system/report.timer":                    "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n",
		"etc/systemd/system/timers.target.wants/report.timer":    "->/usr/lib/systemd/system/report.timer",
		"var/log/auth.log": testdata(t, "auth.log") +
			"2024-01-19T03:00:01.000000+00:00 web1 sudo[4000]:      ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n" +
			"2024-01-19T03:15:01.000000+00:00 web1 sudo[4010]:      ops : TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n" +
			"2024-01-19T09:00:00.000000+00:00 web1 sudo[4020]:    admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/apt-get upgrade\n" +
			"2024-01-19T09:05:00.000000+00:00 web1 sudo[4030]:      bob : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return accountsTree(files)
}

// assessOne rates one effect as its reader does, before Assess ranks the
// effects of an operation.
func assessOne(s *Signals, e remedy.Effect) remedy.Impact {
	l, ev := s.assess(e)
	return remedy.Impact{Level: l, Evidence: ev}
}

func TestAutomationAndSudoEvidence(t *testing.T) {
	s := collect(t, targettest.Tree(t, appliance(t, nil)))
	noLogs := collect(t, targettest.Tree(t, appliance(t, map[string]string{"var/log/auth.log": "-"})))
	rootOnly := collect(t, targettest.Tree(t, accountsTree(map[string]string{"etc/crontab": "17 * * * * root cd / && run-parts /etc/cron.hourly\n", "var/spool/cron/crontabs/root": "@daily /root/x\n"})))
	tests := []struct {
		name  string
		s     *Signals
		e     remedy.Effect
		level string
		want  []string
	}{
		{"postgres shell to nologin breaks su - postgres", s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "postgres", Value: "shell /usr/sbin/nologin"}, remedy.ImpactObserved,
			[]string{"automation runs its login shell, which the change replaces: cron /etc/cron.d/pgbackup:2 as root: su to postgres pg_dumpall > /var/backups/pg.sql"}},
		{"postgres ageing: su runs account checks", s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "postgres", Value: "password_max_days 90"}, remedy.ImpactPossible,
			[]string{"automation switches to it: cron /etc/cron.d/pgbackup:2"}},
		{"postgres password locked: su from root needs none", s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "postgres", Value: "password locked"}, remedy.ImpactNone, nil},
		{"runuser -u does not use the shell, su in the unit does", s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "app", Value: "shell /usr/sbin/nologin"}, remedy.ImpactObserved,
			[]string{"unit app.service (/usr/lib/systemd/system/app.service:5) as root: su to app /srv/app/run"}},
		{"ops automation without a terminal", s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "ops", Value: "/usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx"}, remedy.ImpactObserved,
			[]string{"ops used sudo without a terminal, where no password can be typed, in the last 30 days: ops ran sudo /usr/bin/systemctl restart nginx as root 2 times, without a terminal, last 2024-01-19 03:15 UTC (/var/log/auth.log)",
				"automation runs sudo as ops and cannot type a password: cron /usr/local/bin/nginx-watch:3, run by /var/spool/cron/crontabs/ops:1 as ops: sudo -n /usr/bin/systemctl restart nginx"}},
		{"admin on a terminal, and a timer's unit", s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "admin"}, remedy.ImpactObserved,
			[]string{"unit report.service (/usr/lib/systemd/system/report.service:3) as admin: sudo /usr/local/bin/report"}},
		{"a Cmnd_Alias in the effect is expanded", s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "ops", Value: "NGINX"}, remedy.ImpactObserved,
			[]string{"ops ran sudo /usr/bin/systemctl restart nginx as root 2 times"}},
		{"a command outside the grant is not counted", s, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "ops", Value: "/usr/bin/apt-get"}, remedy.ImpactNone,
			[]string{"no sudo use by ops of /usr/bin/apt-get in /var/log/auth.log covering the last 30 days, and no cron job or unit runs sudo as ops"}},
		{"no sudo log: unknown", noLogs, remedy.Effect{Kind: remedy.EffectSudoPassword, Subject: "bob"}, remedy.ImpactUnknown,
			[]string{"sudo use by bob not checked: no sudo log lines were read (no authentication log under /var/log)"}},
		{"Defaults !authenticate dropped: every grant's user", s, remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo no_authenticate"}, remedy.ImpactObserved,
			[]string{"ops used sudo without a terminal", "admin: sudo /usr/local/bin/report"}},
		{"the NOPASSWD rule is rated per user", s, remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "sudo nopasswd"}, remedy.ImpactNone, nil},
		{"crontab allow list: ops has a crontab", s, remedy.Effect{Kind: remedy.EffectSchedulerLimit, Subject: "/usr/bin/crontab"}, remedy.ImpactPossible,
			[]string{"users other than root have crontabs, which they could no longer change with crontab (and some cron daemons stop running them): ops (1 job(s), /var/spool/cron/crontabs/ops)"}},
		{"at allow list", s, remedy.Effect{Kind: remedy.EffectSchedulerLimit, Subject: "/usr/bin/at"}, remedy.ImpactNone, nil},
		{"crontab allow list, no user crontabs", rootOnly, remedy.Effect{Kind: remedy.EffectSchedulerLimit, Subject: "/usr/bin/crontab"}, remedy.ImpactNone,
			[]string{"no user other than root has a crontab"}},
		{"other auth policy", s, remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "pam_pwquality.so"}, remedy.ImpactNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantImpact(t, assessOne(tc.s, tc.e), tc.level, tc.want...)
		})
	}
	if got := s.sourceStatus("automation"); got.Status != SourceRead || strings.Join(got.Paths, ",") != "/etc/cron.d/pgbackup,/var/spool/cron/crontabs/ops" || got.Detail != "commands of 2 unit(s), 1 shell script(s) they run" {
		t.Errorf("automation source %+v", got)
	}
	if got := s.sourceStatus("sudo-log"); got.Status != SourceRead {
		t.Errorf("sudo-log source %+v", got)
	}
}

func FuzzFindSwitches(f *testing.F) {
	f.Add(`su - postgres -c "pg_dumpall > /var/backups/all.sql"`)
	f.Add(`cd /srv && FOO=1 nice -n 10 sudo -n -u app rsync -a a b >/dev/null 2>&1`)
	f.Add(`/bin/sh -c 'sudo su - x -c "bash -c \"sudo -n id\""'`)
	f.Add("30 2 * * * root su - postgres -c \"pg_dumpall\" % x")
	f.Fuzz(func(t *testing.T, line string) {
		calls, progs := findSwitches(line, 0)
		if len(progs) > maxShellWords*(maxShellDepth+2) {
			t.Fatalf("%d programs", len(progs))
		}
		for _, c := range calls {
			if c.target == "" || len(c.command) > maxSudoCommand+len("…") {
				t.Fatalf("call %+v", c)
			}
		}
		for _, system := range []bool{true, false} {
			for _, e := range parseCrontab([]byte(line), system, "ops") {
				if e.command == "" || e.user == "" || e.line < 1 {
					t.Fatalf("cron entry %+v", e)
				}
			}
		}
		_, lines := parseUnitExec([]byte("[Service]\n"+line), "/u")
		if len(lines) > 64 {
			t.Fatalf("%d exec lines", len(lines))
		}
	})
}
