package credcheck

import (
	"context"
	_ "embed"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

//go:embed default-passwords.txt
var corePasswordsFile string

//go:embed default-passwords-extended.txt
var extendedPasswordsFile string

var (
	listOnce       sync.Once
	core, extended []string
)

func loadLists() {
	listOnce.Do(func() {
		core = ParseList(corePasswordsFile)
		seen := map[string]bool{}
		for _, p := range core {
			seen[p] = true
		}
		for _, p := range ParseList(extendedPasswordsFile) {
			if !seen[p] {
				extended = append(extended, p)
			}
		}
	})
}

// DefaultPasswords returns the core list of well-known default passwords,
// most likely first, without duplicates: what every usable hash is tested
// against.
func DefaultPasswords() []string {
	loadLists()
	return core
}

// ExtendedPasswords returns the further defaults tried only against cheap
// hashes (see Cheap), none of them in the core list.
func ExtendedPasswords() []string {
	loadLists()
	return extended
}

// ParseList parses a password list: one a line, '#' comments, blank lines
// and duplicates dropped, order kept.
func ParseList(s string) []string {
	var out []string
	seen := map[string]bool{}
	// Split, not a bufio.Scanner: a line over the scanner's 64 KiB limit
	// would silently end the list.
	for l := range strings.Lines(s) {
		l = strings.TrimRight(strings.TrimSuffix(l, "\n"), "\r")
		if l == "" || strings.HasPrefix(l, "#") || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// Account is one account to test.
type Account struct {
	Name string
	Hash string
}

// Status is the verdict for one account.
type Status int

const (
	// NoMatch: every candidate was tried, none matched.
	NoMatch Status = iota
	// Matched: a candidate matched the hash.
	Matched
	// Skipped: the hash could not be tested (unsupported scheme, work
	// factor above the limit, malformed), testing it would exceed the
	// run's work cap, or the run was cancelled.
	Skipped
)

// Verdict is the outcome for one account. Matched holds the matching
// password so callers can mask it; never log it.
type Verdict struct {
	Name    string
	Scheme  Scheme
	Status  Status
	Reason  string // why it was skipped
	Matched string
	Tried   int
	Total   int
}

// Options bounds a run.
type Options struct {
	// Extra passwords are tried first.
	Extra []string
	// MaxWork bounds the whole run in work units (see Cost; default
	// DefaultMaxWork). It is counted, not timed: accounts are taken in
	// order and one whose candidates would push the total past the cap is
	// Skipped, so the verdicts depend on the target alone, never on the
	// machine or its load.
	MaxWork int64
	Workers int // default GOMAXPROCS
	Limits  Limits
}

// DefaultMaxWork allows about a minute of hashing on one core: some
// twenty accounts with crypt(3)'s default yescrypt cost.
const DefaultMaxWork = 40000

// cheapUnits is the per-try cost up to which a hash is tested against the
// extended list too.
const cheapUnits = 2

// Cost is the work of one try against hash in units of one SHA-crypt try
// with the default 5000 rounds (about 2 ms in pure Go): a fixed function of
// the hash's parameters. The caller checks CheckCost first.
func Cost(hash string) int64 {
	switch schemeOf(hash) {
	case SchemeSHA256Crypt, SchemeSHA512Crypt:
		return max(1, int64(shaRounds(hash)+4999)/5000)
	case SchemeBcrypt:
		if c, err := bcrypt.Cost([]byte(hash)); err == nil && c > 5 {
			return int64(1) << min(c-5, 40)
		}
	case SchemeYescrypt:
		if p, err := parseYescrypt(hash); err == nil {
			// crypt(3)'s default (16 MiB) costs about 20 SHA-crypt tries.
			return max(1, int64(p.memory()>>20)*5/4) * int64(p.t+1)
		}
	}
	return 1
}

// Cheap reports whether hash is cheap enough to be tested against the
// extended list as well as the core list.
func Cheap(hash string) bool { return Cost(hash) <= cheapUnits }

// Candidates lists what is tried for user: extra passwords, the user name,
// the core list, with full the extended list, the reversed user name;
// without duplicates.
func Candidates(user string, extra []string, full bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range extra {
		add(p)
	}
	add(user)
	for _, p := range DefaultPasswords() {
		add(p)
	}
	if full {
		for _, p := range ExtendedPasswords() {
			add(p)
		}
	}
	add(reverse(user))
	return out
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

const chunk = 8

type job struct {
	acct       int
	start, end int
}

// Check tests every account's hash against all its candidates, in
// parallel on opts.Workers goroutines, within the counted opts.MaxWork.
// No clock is involved: the verdicts depend on the accounts and options
// alone (only cancelling ctx cuts a run short). Verdicts come back in the
// order of accounts.
func Check(ctx context.Context, accounts []Account, opts Options) []Verdict {
	if opts.MaxWork <= 0 {
		opts.MaxWork = DefaultMaxWork
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	var work int64

	out := make([]Verdict, len(accounts))
	cands := make([][]string, len(accounts))
	done := make([]atomic.Bool, len(accounts))
	tried := make([]atomic.Int64, len(accounts))
	var mu sync.Mutex // guards out[i].Matched/Status/Reason after setup
	var jobs []job
	for i, a := range accounts {
		v := Verdict{Name: a.Name, Scheme: schemeOf(a.Hash)}
		if err := CheckCost(a.Hash, opts.Limits); err != nil {
			v.Status, v.Reason = Skipped, err.Error()
			done[i].Store(true)
			out[i] = v
			continue
		}
		c := Candidates(a.Name, opts.Extra, Cheap(a.Hash))
		cost := Cost(a.Hash)
		need := cost * int64(len(c))
		if work+need > opts.MaxWork {
			v.Status = Skipped
			v.Reason = fmt.Sprintf("work cap: %d candidates at %d units each would exceed the %d units left of %d", len(c), cost, opts.MaxWork-work, opts.MaxWork)
			done[i].Store(true)
			out[i] = v
			continue
		}
		work += need
		cands[i] = c
		v.Total = len(cands[i])
		out[i] = v
		for s := 0; s < len(cands[i]); s += chunk {
			jobs = append(jobs, job{i, s, min(s+chunk, len(cands[i]))})
		}
	}
	// Interleave accounts so one slow hash does not starve the others.
	ch := make(chan job)
	go func() {
		defer close(ch)
		for _, j := range interleave(jobs) {
			select {
			case ch <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Go(func() {
			for j := range ch {
				a := accounts[j.acct]
				for _, p := range cands[j.acct][j.start:j.end] {
					if done[j.acct].Load() || ctx.Err() != nil {
						break
					}
					ok, err := Verify(a.Hash, p)
					if err != nil {
						mu.Lock()
						if !done[j.acct].Swap(true) {
							out[j.acct].Status, out[j.acct].Reason = Skipped, err.Error()
						}
						mu.Unlock()
						break
					}
					tried[j.acct].Add(1)
					if ok {
						mu.Lock()
						if !done[j.acct].Swap(true) {
							out[j.acct].Status, out[j.acct].Matched = Matched, p
						}
						mu.Unlock()
						break
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range out {
		out[i].Tried = int(tried[i].Load())
		if out[i].Status == Skipped {
			// A hash the verifier rejects counts as untested.
			out[i].Tried = 0
		}
		if out[i].Status == NoMatch && out[i].Tried < out[i].Total {
			out[i].Status = Skipped
			out[i].Reason = "cancelled"
		}
	}
	return out
}

// interleave orders jobs round-robin across accounts.
func interleave(jobs []job) []job {
	by := map[int][]job{}
	var order []int
	for _, j := range jobs {
		if _, ok := by[j.acct]; !ok {
			order = append(order, j.acct)
		}
		by[j.acct] = append(by[j.acct], j)
	}
	out := make([]job, 0, len(jobs))
	for len(out) < len(jobs) {
		for _, a := range order {
			if q := by[a]; len(q) > 0 {
				out = append(out, q[0])
				by[a] = q[1:]
			}
		}
	}
	return out
}

// Mask renders a matched password for evidence: its first character and
// its length, enough to recognise the default without spelling it out.
func Mask(p string) string {
	r := []rune(p)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
