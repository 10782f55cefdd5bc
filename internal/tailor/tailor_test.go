package tailor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/rules"
)

func TestWaiverExpiryIsInclusive(t *testing.T) {
	ws, err := ParseWaivers("w.yaml", []byte("waivers:\n  - rule: ssh.*\n    justification: lab\n    expires: 2027-06-30\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2027, 6, 30, 23, 59, 0, 0, time.UTC)
	if w, _ := ws.Lookup("ssh.root", nil, day); w == nil {
		t.Fatal("waiver should hold through its expiry day")
	}
	if w, exp := ws.Lookup("ssh.root", nil, day.Add(2*time.Minute)); w != nil || exp == nil {
		t.Fatal("waiver should have expired the day after")
	}
	if w, _ := ws.Lookup("file.x", nil, day); w != nil {
		t.Fatal("glob matched another area")
	}
}

func TestTailoringGlobs(t *testing.T) {
	tl, err := ParseTailoring("t.yaml", []byte("select: [audit.*]\nunselect: [audit.immutable]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !tl.Selects("audit.time") || !tl.Unselects("audit.immutable") || tl.Unselects("audit.time") {
		t.Fatalf("glob semantics wrong: %+v", tl)
	}
}

func TestTailoringAcceptUnknown(t *testing.T) {
	tl, err := ParseTailoring("t.yaml", []byte("accept_unknown: [ssh.*, accounts.password_max_days]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !tl.AcceptsUnknown("ssh.permit_root_login") || !tl.AcceptsUnknown("accounts.password_max_days") || tl.AcceptsUnknown("accounts.password_inactive") {
		t.Fatalf("accept_unknown: %+v", tl.AcceptUnknown)
	}
	var none *Tailoring
	if none.AcceptsUnknown("ssh.x") {
		t.Error("no tailoring accepts nothing")
	}
	for _, doc := range []string{"accept_unknown: []\n", "accept_unknown: ['']\n", "accept_unknown: ['ssh.[']\n"} {
		if _, err := ParseTailoring("t.yaml", []byte(doc)); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
}

func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("waivers:\n  - rule: a\n    justification: b\n    expires: 2027-01-01\n"))
	f.Add([]byte("a.b:\n  justification: x\n  expiration_date: 2027-01-01T00:00:00Z\n  run: false\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseWaivers("f.yaml", data)
	})
}

func FuzzParseTailoring(f *testing.F) {
	f.Add([]byte("profile: strict\nselect: [a.*]\nparams: {a.b: {c: 1}}\n"))
	f.Add([]byte("accept_unknown: [ssh.*, 'a.[b]']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseTailoring("f.yaml", data)
	})
}

// TestEmptyValuesRefused: a key given with an empty value decoded as if it
// were absent, so `expires: ""` made a waiver permanent and `scope: []`
// made it apply everywhere. Each is an input error at its line.
func TestEmptyValuesRefused(t *testing.T) {
	waiver := "waivers:\n  - rule: ssh.x11_forwarding\n    justification: lab\n"
	for _, tc := range []struct {
		name, doc, want string
		tailoring       bool
	}{
		{"expires quoted empty", waiver + "    expires: ''\n", "w.yaml:4: waiver: expires has an empty value", false},
		{"expires null", waiver + "    expires:\n", "w.yaml:4: waiver: expires has an empty value", false},
		{"expires blank", waiver + "    expires: \"  \"\n", "w.yaml:4: waiver: expires has an empty value", false},
		{"InSpec expiration_date", "ssh.x:\n  justification: lab\n  expiration_date: ''\n", "w.yaml:3: waiver: expiration_date has an empty value", false},
		{"scope empty list", waiver + "    scope: []\n", "w.yaml:4: waiver: scope has an empty value", false},
		{"scope blank item", waiver + "    scope: [web-*, '']\n", "w.yaml:4: waiver: scope has an empty item", false},
		{"owner empty", waiver + "    owner: ''\n", "w.yaml:4: waiver: owner has an empty value", false},
		{"run null", "ssh.x:\n  justification: lab\n  run: ~\n", "w.yaml:3: waiver: run has an empty value", false},
		{"tailoring profile", "profile: ''\nselect: [a.*]\n", "w.yaml:1: tailoring: profile has an empty value", true},
		{"tailoring param", "params:\n  accounts.password_max_days:\n    days: ''\n", "w.yaml:3: tailoring params: days has an empty value", true},
		{"tailoring param null", "params:\n  accounts.home_dirs: {max_mode: ~}\n", "w.yaml:2: tailoring params: max_mode has an empty value", true},
		{"tailoring select", "select: []\n", "w.yaml:1: tailoring: select has an empty value", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.tailoring {
				_, err = ParseTailoring("w.yaml", []byte(tc.doc))
			} else {
				_, err = ParseWaivers("w.yaml", []byte(tc.doc))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// An empty list is a value a parameter may take (no exemptions).
	if _, err := ParseTailoring("w.yaml", []byte("params:\n  accounts.system_accounts_locked: {exempt: []}\n")); err != nil {
		t.Errorf("empty parameter list: %v", err)
	}
	// Leaving the key out is still how a waiver is made without expiry.
	ws, err := ParseWaivers("w.yaml", []byte(waiver))
	if err != nil || !ws.List[0].Expires.IsZero() {
		t.Fatalf("waiver without expires: %+v, %v", ws, err)
	}
}

func TestValidate(t *testing.T) {
	set := &rules.Set{}
	for _, r := range []*rules.Rule{
		{ID: "ssh.x11_forwarding"},
		{ID: "accounts.password_max_days", Params: map[string]rules.Param{"days": {}}},
	} {
		if err := set.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, file, want string }{
		{"valid", "select: [ssh.*]\nunselect: [ssh.x11_forwarding]\nparams: {accounts.password_max_days: {days: 90}}\naccept_unknown: ['*']\n", ""},
		{"select", "select:\n  - ssh.x11\n", `t.yaml:2: select: unknown rule "ssh.x11"`},
		{"unselect glob", "unselect: [sshd.*]\n", `t.yaml:1: unselect: "sshd.*" matches no rule; did you mean "ssh.*"?`},
		{"params rule", "params:\n  accounts.pasword_max_days: {days: 1}\n", `t.yaml:2: params: unknown rule "accounts.pasword_max_days"; did you mean "accounts.password_max_days"?`},
		{"params name", "params:\n  accounts.password_max_days:\n    dasy: 1\n", `t.yaml:3: params: unknown parameter "dasy" of rule accounts.password_max_days; did you mean "days"?`},
		{"params of a rule without any", "params:\n  ssh.x11_forwarding: {x: 1}\n", `t.yaml:2: params: unknown parameter "x" of rule ssh.x11_forwarding (it takes none)`},
		{"accept_unknown", "accept_unknown: [ssh.x11_forwarding, ssh.x11_fowarding]\n", `t.yaml:1: accept_unknown: unknown rule "ssh.x11_fowarding"; did you mean "ssh.x11_forwarding"?`},
	} {
		tl, err := ParseTailoring("t.yaml", []byte(tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = tl.Validate(set)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// A Tailoring built in code has no lines: the error names the source.
	tl := &Tailoring{Select: []string{"nope"}, Source: "built-in"}
	if err := tl.Validate(set); fmt.Sprint(err) != `built-in: select: unknown rule "nope"` {
		t.Errorf("unlocated: %v", err)
	}
	ws, err := ParseWaivers("w.yaml", []byte("waivers:\n  - rule: ssh.*\n    justification: lab\n  - justification: lab\n    rule: ssh.x11_forwardin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Validate(set); fmt.Sprint(err) != `w.yaml:5: waiver: unknown rule "ssh.x11_forwardin"; did you mean "ssh.x11_forwarding"?` {
		t.Errorf("waiver: %v", err)
	}
}
