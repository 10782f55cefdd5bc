// Package casestore keeps vulnerability cases — the manufacturer's PSIRT
// records of Annex I Part II and Article 14 — in one embedded SQLite file
// (pure Go: github.com/ncruces/go-sqlite3, SQLite translated to Go, so
// CGO_ENABLED=0 builds keep working). Every change is an event row in the
// same transaction as the change; the application layer also records it
// in the signed change log, which is what makes the history
// tamper-evident — the database file itself is never trusted for that.
package casestore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"
)

// SchemaVersion is the store layout this build reads and writes.
const SchemaVersion = 1

// ErrNotFound: no case with that id.
var ErrNotFound = errors.New("no such case")

// Status is a case's place in the workflow.
type Status string

const (
	New       Status = "new"       // received, not yet triaged
	Triage    Status = "triage"    // being analysed
	Confirmed Status = "confirmed" // the product is affected
	Fixing    Status = "fixing"    // a remedy is being built
	Fixed     Status = "fixed"     // a remedy is available
	Closed    Status = "closed"    // done (see Resolution)
)

// Statuses in workflow order.
var Statuses = []Status{New, Triage, Confirmed, Fixing, Fixed, Closed}

// transitions lists the moves the workflow allows; re-opening a closed
// case goes back to triage.
var transitions = map[Status][]Status{
	New:       {Triage, Confirmed, Closed},
	Triage:    {Confirmed, Closed},
	Confirmed: {Fixing, Fixed, Closed},
	Fixing:    {Fixed, Closed},
	Fixed:     {Closed, Fixing},
	Closed:    {Triage},
}

// CanMove reports whether the workflow allows from → to.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Case is one vulnerability or incident record.
type Case struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Description, Mitigation (measures taken) and UserActions (what users
	// can do) feed the Article 14 report drafts and advisories.
	Description string    `json:"description,omitempty"`
	Mitigation  string    `json:"mitigation,omitempty"`
	UserActions string    `json:"user_actions,omitempty"`
	Product     string    `json:"product,omitempty"`
	Versions    []string  `json:"versions"`   // affected versions
	Components  []string  `json:"components"` // package URLs from the SBOM
	Aliases     []string  `json:"aliases"`    // CVE, GHSA, OSV ids
	Reporter    string    `json:"reporter,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Received    time.Time `json:"received"`
	Status      Status    `json:"status"`
	Resolution  string    `json:"resolution,omitempty"`
	// CVSS vectors as given; scores are computed from them, never typed.
	CVSS3 string `json:"cvss3,omitempty"`
	CVSS4 string `json:"cvss4,omitempty"`
	// Exploited: reliable evidence of exploitation by a malicious actor
	// (Art. 3(42)); Incident: a severe incident (Art. 14(5)).
	Exploited bool `json:"exploited"`
	Incident  bool `json:"incident"`
	// Aware is when the manufacturer became aware of the exploitation or
	// incident; it starts the Article 14 clocks.
	Aware     *time.Time `json:"aware,omitempty"`
	Mitigated *time.Time `json:"mitigated,omitempty"` // a corrective or mitigating measure is available
	// Reports holds when each Article 14 report was submitted, by kind
	// ("vulnerability"/"incident") and stage.
	Reports []Report `json:"reports"`
	// FixedVersions are the product versions that fix it; Fixes the
	// fixed versions of each affected component (from cradle vuln scan).
	FixedVersions []string       `json:"fixed_versions,omitempty"`
	Fixes         []ComponentFix `json:"fixes,omitempty"`
	// Source says where an imported case came from; its key (finding id
	// and product) makes a re-import update the case instead of adding one.
	Source *Source `json:"source,omitempty"`
	// Advisory holds the published revisions of the case's CSAF advisory.
	Advisory *Advisory `json:"advisory,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Report is one submitted Article 14 report.
type Report struct {
	Kind      string    `json:"kind"`  // vulnerability or incident
	Stage     string    `json:"stage"` // early_warning, notification, final_report
	Submitted time.Time `json:"submitted"`
	Reference string    `json:"reference,omitempty"` // the platform's reference
	Covered   bool      `json:"covered,omitempty"`   // information given by an earlier report
}

// ComponentFix is an affected component and the versions that fix it.
type ComponentFix struct {
	Component string   `json:"component"` // package URL
	Name      string   `json:"name,omitempty"`
	Fixed     []string `json:"fixed"`
}

// Source is the origin of an imported case.
type Source struct {
	Kind string `json:"kind"` // vuln_report
	Key  string `json:"key"`  // finding id + "@" + product
	File string `json:"file,omitempty"`
	// KEV is the date the finding entered CISA's Known Exploited
	// Vulnerabilities catalogue, when it is there.
	KEV string `json:"kev,omitempty"`
}

// Advisory is the publication record of a case's advisory.
type Advisory struct {
	Revisions []Revision `json:"revisions"`
}

// Revision is one published revision: its number, date, summary and the
// digest of the content it published (a change makes the next revision).
type Revision struct {
	Number  int       `json:"number"`
	Date    time.Time `json:"date"`
	Summary string    `json:"summary"`
	Digest  string    `json:"digest"`
}

// Event is one recorded change.
type Event struct {
	Case    string          `json:"case"`
	Seq     int             `json:"seq"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"` // new, update, status, report, close, import, advisory
	Changes json.RawMessage `json:"changes"`
	Note    string          `json:"note,omitempty"`
}

// Store is an open case database.
type Store struct {
	db  *sql.DB
	now func() time.Time
	// OnEvent, when set, is called inside the transaction of every change
	// with the event and the case as changed; an error rolls the change
	// back. The application records events in the signed change log here.
	OnEvent func(Event, *Case) error
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
	id TEXT PRIMARY KEY,
	doc TEXT NOT NULL,            -- the Case as JSON
	status TEXT NOT NULL,
	received TEXT NOT NULL,
	updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
	case_id TEXT NOT NULL REFERENCES cases(id),
	seq INTEGER NOT NULL,
	time TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	changes TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, seq)
);
CREATE TABLE IF NOT EXISTS counters (year INTEGER PRIMARY KEY, next INTEGER NOT NULL);
`

// Open opens (creating when absent) the store at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(wal)")
	if err != nil {
		return nil, fmt.Errorf("open case store %s: %w", path, err)
	}
	s := &Store{db: db, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("case store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SetClock replaces the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('schema_version', ?)`, fmt.Sprint(SchemaVersion))
		return err
	case err != nil:
		return err
	case v != fmt.Sprint(SchemaVersion):
		return fmt.Errorf("schema version %s; this cradle reads version %d", v, SchemaVersion)
	}
	return nil
}

// Create stores a new case, assigning its id (CASE-YYYY-NNNN by the
// received year), and records the "new" event.
func (s *Store) Create(ctx context.Context, c *Case, actor, note string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := s.now().UTC()
	if c.Received.IsZero() {
		c.Received = now
	}
	c.Received = c.Received.UTC()
	year := c.Received.Year()
	var next int
	switch err := tx.QueryRowContext(ctx, `SELECT next FROM counters WHERE year = ?`, year).Scan(&next); {
	case errors.Is(err, sql.ErrNoRows):
		next = 1
	case err != nil:
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO counters(year, next) VALUES (?, ?) ON CONFLICT(year) DO UPDATE SET next = excluded.next`, year, next+1); err != nil {
		return err
	}
	c.ID = fmt.Sprintf("CASE-%d-%04d", year, next)
	if c.Status == "" {
		c.Status = New
	}
	c.Created, c.Updated = now, now
	normalise(c)
	if err := put(ctx, tx, c, true); err != nil {
		return err
	}
	if err := s.addEvent(ctx, tx, c, now, actor, "new", c, note); err != nil {
		return err
	}
	return tx.Commit()
}

func normalise(c *Case) {
	for _, l := range []*[]string{&c.Versions, &c.Components, &c.Aliases} {
		if *l == nil {
			*l = []string{}
		}
	}
	if c.Reports == nil {
		c.Reports = []Report{}
	}
}

func put(ctx context.Context, tx *sql.Tx, c *Case, insert bool) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	q := `UPDATE cases SET doc = ?2, status = ?3, received = ?4, updated = ?5 WHERE id = ?1`
	if insert {
		q = `INSERT INTO cases(id, doc, status, received, updated) VALUES (?1, ?2, ?3, ?4, ?5)`
	}
	_, err = tx.ExecContext(ctx, q, c.ID, string(doc), string(c.Status), c.Received.Format(time.RFC3339Nano), c.Updated.Format(time.RFC3339Nano))
	return err
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, c *Case, when time.Time, actor, action string, changes any, note string) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE case_id = ?`, c.ID).Scan(&seq); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO events(case_id, seq, time, actor, action, changes, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, seq, when.Format(time.RFC3339Nano), actor, action, string(b), note); err != nil {
		return err
	}
	if s.OnEvent != nil {
		return s.OnEvent(Event{Case: c.ID, Seq: seq, Time: when, Actor: actor, Action: action, Changes: b, Note: note}, c)
	}
	return nil
}

// Digest is the hex SHA-256 of a case's stored form: the change log
// records it with every event, so an edit of the database is detected.
func Digest(c *Case) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FindSource returns the case imported under key, or nil.
func (s *Store) FindSource(ctx context.Context, key string) (*Case, error) {
	cs, err := s.List(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Source != nil && c.Source.Key == key {
			return c, nil
		}
	}
	return nil, nil
}

// Get reads one case.
func (s *Store) Get(ctx context.Context, id string) (*Case, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM cases WHERE id = ?`, strings.ToUpper(strings.TrimSpace(id))).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var c Case
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, fmt.Errorf("case %s: stored record unreadable: %w", id, err)
	}
	normalise(&c)
	return &c, nil
}

// List returns cases, oldest received first; open limits to cases not
// closed.
func (s *Store) List(ctx context.Context, open bool) ([]*Case, error) {
	q := `SELECT id FROM cases ORDER BY received, id`
	if open {
		q = `SELECT id FROM cases WHERE status != 'closed' ORDER BY received, id`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Case, 0, len(ids))
	for _, id := range ids {
		c, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Update applies fn to the stored case inside one transaction and
// records the event with the fields that changed. fn returns the action
// name; an error from fn leaves the store untouched.
func (s *Store) Update(ctx context.Context, id, actor, note string, fn func(*Case) (string, error)) (*Case, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var doc string
	err = tx.QueryRowContext(ctx, `SELECT doc FROM cases WHERE id = ?`, strings.ToUpper(strings.TrimSpace(id))).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var before, after map[string]any
	if err := json.Unmarshal([]byte(doc), &before); err != nil {
		return nil, fmt.Errorf("case %s: stored record unreadable: %w", id, err)
	}
	var c Case
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, fmt.Errorf("case %s: stored record unreadable: %w", id, err)
	}
	normalise(&c)
	action, err := fn(&c)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c.Updated = now
	normalise(&c)
	b, _ := json.Marshal(&c)
	json.Unmarshal(b, &after)
	changes := map[string][2]any{}
	for k, v := range after {
		if k == "updated" {
			continue
		}
		ob, _ := json.Marshal(before[k])
		nb, _ := json.Marshal(v)
		if string(ob) != string(nb) {
			changes[k] = [2]any{before[k], v}
		}
	}
	if len(changes) == 0 && note == "" {
		return &c, nil
	}
	if err := put(ctx, tx, &c, false); err != nil {
		return nil, err
	}
	if err := s.addEvent(ctx, tx, &c, now, actor, action, changes, note); err != nil {
		return nil, err
	}
	return &c, tx.Commit()
}

// Events returns a case's history, oldest first.
func (s *Store) Events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, seq, time, actor, action, changes, note FROM events WHERE case_id = ? ORDER BY seq`, strings.ToUpper(strings.TrimSpace(id)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var when, changes string
		if err := rows.Scan(&e.Case, &e.Seq, &when, &e.Actor, &e.Action, &changes, &e.Note); err != nil {
			return nil, err
		}
		e.Time, _ = time.Parse(time.RFC3339Nano, when)
		e.Changes = json.RawMessage(changes)
		out = append(out, e)
	}
	return out, rows.Err()
}
