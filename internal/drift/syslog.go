package drift

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Syslog severities (RFC 5424) per event, facility security/authorization
// (4).
const syslogFacility = 4

func syslogSeverity(event string) int {
	switch event {
	case EventDrift, EventIntegrity:
		return 4 // warning
	case EventResolved:
		return 5 // notice
	}
	return 3 // error
}

// syslogMessage formats ev as an RFC 5424 message with the event as JSON
// in MSG and the event kind as MSGID.
func syslogMessage(ev Event, hostname string, pid int) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	if hostname == "" {
		hostname = "-"
	}
	pri := syslogFacility*8 + syslogSeverity(ev.Event)
	return fmt.Appendf(nil, "<%d>1 %s %s cradle %d %s - %s", pri,
		ev.Time.UTC().Format(time.RFC3339Nano), hostname, pid, ev.Event, b), nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
