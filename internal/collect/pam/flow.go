package pam

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Control flow of a PAM stack, as libpam's _pam_dispatch_aux
// (libpam/pam_dispatch.c) walks it and as pam.conf(5) describes the
// controls: required, requisite, optional and sufficient are shorthands
// for bracket controls (pam_handlers.c: e.g. sufficient is
// [success=done new_authtok_reqd=done default=ignore]); a bracket control
// maps return values to ignore, ok, done, bad, die, reset or a jump over
// N following modules, and values it does not name to bad. include (and
// Debian's @include) splices the lines in, so a jump counts them one by
// one; a substack counts as one module for a jump in the including stack,
// done and die inside it end the substack only, and a jump inside it
// cannot leave it ("bad jump" fails the stack).
//
// Flow answers, for each module line, whether a successful run of the
// stack can leave it out: a module counts as enforced only if every path
// to PAM_SUCCESS runs it and it succeeds. Modules are assumed to return
// success or any failure, except pam_permit (always succeeds), pam_deny
// (always fails) and pam_rootok, whose success only root gets: paths in
// which it succeeds are not counted, since checks ask what binds other
// users.

// Action is what a control does with one return value.
type Action int

// Actions; a positive Action is a jump over that many modules.
const (
	ActIgnore Action = 0
	ActOK     Action = -1
	ActDone   Action = -2
	ActBad    Action = -3
	ActDie    Action = -4
	ActReset  Action = -5
)

// returnValues are libpam's return value names (pam_tokens.h), in order;
// "default" names every value a bracket control leaves unset.
var returnValues = []string{"success", "open_err", "symbol_err", "service_err", "system_err",
	"buf_err", "perm_denied", "auth_err", "cred_insufficient", "authinfo_unavail", "user_unknown",
	"maxtries", "new_authtok_reqd", "acct_expired", "session_err", "cred_unavail", "cred_expired",
	"cred_err", "no_module_data", "conv_err", "authtok_err", "authtok_recover_err",
	"authtok_lock_busy", "authtok_disable_aging", "try_again", "ignore", "abort",
	"authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete"}

const (
	retSuccess        = 0
	retNewAuthtokReqd = 12
	retIgnore         = 25
	retIncomplete     = 31
)

// Actions maps each return value (index as in returnValues) to its action.
type Actions [32]Action

// ParseControl turns a control field into actions; include and substack
// are not controls of a module line. An unknown word or a malformed
// bracket makes every value bad, as libpam does.
func ParseControl(control string) Actions {
	var a Actions
	set := func(def Action) {
		for i := range a {
			if a[i] == undef {
				a[i] = def
			}
		}
	}
	for i := range a {
		a[i] = undef
	}
	switch strings.ToLower(control) {
	case "required", "requisite":
		a[retSuccess], a[retNewAuthtokReqd], a[retIgnore] = ActOK, ActOK, ActIgnore
		if strings.EqualFold(control, "required") {
			set(ActBad)
		} else {
			set(ActDie)
		}
		return a
	case "optional":
		a[retSuccess], a[retNewAuthtokReqd] = ActOK, ActOK
		set(ActIgnore)
		return a
	case "sufficient":
		a[retSuccess], a[retNewAuthtokReqd] = ActDone, ActDone
		set(ActIgnore)
		return a
	}
	body := strings.TrimSuffix(strings.TrimPrefix(control, "["), "]")
	var def *Action
	for _, f := range strings.Fields(body) {
		k, v, ok := strings.Cut(f, "=")
		act, okAct := parseAction(v)
		if !ok || !okAct {
			return allBad()
		}
		if k == "default" {
			def = &act
			continue
		}
		i := indexOf(returnValues, k)
		if i < 0 {
			return allBad()
		}
		a[i] = act
	}
	if def != nil {
		set(*def)
	}
	set(ActBad)
	return a
}

// undef marks a value a control has not set yet.
const undef Action = -99

func allBad() Actions {
	var a Actions
	for i := range a {
		a[i] = ActBad
	}
	return a
}

func parseAction(s string) (Action, bool) {
	switch s {
	case "ignore":
		return ActIgnore, true
	case "ok":
		return ActOK, true
	case "done":
		return ActDone, true
	case "bad":
		return ActBad, true
	case "die":
		return ActDie, true
	case "reset":
		return ActReset, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return Action(n), true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// Node is one step of a dispatched stack: a module line, or the
// placeholder of a substack (which a jump in the including stack counts
// as one module).
type Node struct {
	Entry
	// Level is the substack depth (0 for the service's own stack).
	Level int
	// Substack marks the placeholder of a substack; its lines follow at
	// Level+1.
	Substack bool
}

// Flow returns the dispatch order of service's stack of type typ, with
// substack placeholders and levels.
func (c *Config) Flow(service, typ string) ([]Node, error) {
	if msg, bad := c.Errors[service]; bad {
		return nil, fmt.Errorf("read PAM service %s: %s", service, msg)
	}
	if _, ok := c.Files[service]; !ok {
		return nil, fmt.Errorf("%w %s", ErrNoService, service)
	}
	var out []Node
	budget := maxExpansions
	err := c.walk(service, typ, nil, 0, &budget, func(e Entry, level int, sub bool) {
		out = append(out, Node{Entry: e, Level: level, Substack: sub})
	})
	return out, err
}

// Verdict says how the control flow treats one module line.
type Verdict struct {
	// Reachable: some run of the stack calls the module.
	Reachable bool
	// Enforced: every successful run calls the module and it succeeds.
	Enforced bool
	// Why explains a run that succeeds without the module, when not
	// enforced.
	Why string
	// Runs: every successful run calls the module, whatever it returns
	// (what matters for modules that set something up, like
	// pam_faildelay or pam_umask); RunsWhy explains a run that does not.
	Runs    bool
	RunsWhy string
}

// maxFlow bounds the lines of a stack whose control flow is analysed:
// judging every line costs about the square of their number (256 lines,
// far beyond real stacks of 20 to 40, take under half a second in all),
// and a hostile tree must not make a scan crawl.
const maxFlow = 256

// ErrFlowTooLong is returned by Judge for a stack beyond maxFlow lines.
var ErrFlowTooLong = errors.New("PAM stack too long to analyse its control flow")

// Judge says how the control flow treats nodes[i].
func Judge(nodes []Node, i int) (Verdict, error) {
	var v Verdict
	if len(nodes) > maxFlow {
		return v, fmt.Errorf("%w (%d lines, at most %d)", ErrFlowTooLong, len(nodes), maxFlow)
	}
	if i < 0 || i >= len(nodes) || nodes[i].Substack {
		return v, nil
	}
	v.Reachable = reachable(nodes, i)
	if !v.Reachable {
		v.Why = "no run of the stack reaches it"
		v.RunsWhy = v.Why
		return v, nil
	}
	why, bypass := bypassPath(nodes, i, false)
	v.Enforced, v.Why = !bypass, why
	v.Runs, v.RunsWhy = true, ""
	if bypass {
		why, bypass = bypassPath(nodes, i, true)
		v.Runs, v.RunsWhy = !bypass, why
	}
	return v, nil
}

// outcome is one possible result of calling a module.
type outcome struct {
	success bool
	act     Action
}

// outcomes lists what node n can do: success, and each distinct action of
// a failure value. PAM_IGNORE (a module saying it does not apply),
// PAM_NEW_AUTHTOK_REQD (success with an expired password) and
// PAM_INCOMPLETE (the stack suspends) are left out: a module a check
// requires does not return them to let a user through.
func outcomes(n *Node) []outcome {
	a := ParseControl(n.Control)
	name := n.ModuleName()
	var out []outcome
	if name != "pam_deny.so" && name != "pam_rootok.so" {
		out = append(out, outcome{true, a[retSuccess]})
	}
	if name == "pam_permit.so" {
		return out
	}
	seen := map[Action]bool{}
	for v := range a {
		if v == retSuccess || v == retIncomplete || v == retIgnore || v == retNewAuthtokReqd || seen[a[v]] {
			continue
		}
		seen[a[v]] = true
		out = append(out, outcome{false, a[v]})
	}
	return out
}

// state is the dispatcher's state between modules.
type state struct {
	pos        int
	impression int8 // 0 undefined, 1 positive, -1 negative
	ok         bool // status == PAM_SUCCESS
	subImp     int8 // impression and status saved on entering the level
	subOK      bool
	hit        bool // the judged module ran and succeeded
}

// step applies outcome o of node at s.pos and returns the next state, or
// done when the stack has decided.
func step(nodes []Node, s state, o outcome) (state, bool) {
	lvl := nodes[s.pos].Level
	switch {
	case o.act == ActReset:
		s.impression, s.ok = s.subImp, s.subOK
	case o.act == ActOK || o.act == ActDone:
		if s.impression == 0 || s.impression == 1 && s.ok {
			s.impression, s.ok = 1, o.success
		}
		if s.impression == 1 && o.act == ActDone {
			return finish(nodes, s, lvl)
		}
	case o.act == ActBad || o.act == ActDie:
		if s.impression != -1 {
			s.impression, s.ok = -1, false
		}
		if o.act == ActDie {
			return finish(nodes, s, lvl)
		}
	case o.act > 0:
		n := int(o.act)
		p := s.pos
		for p+1 < len(nodes) && nodes[p+1].Level >= lvl && n > 0 {
			p++
			for p+1 < len(nodes) && nodes[p+1].Level > lvl {
				p++
			}
			n--
		}
		if n > 0 {
			s.impression, s.ok = -1, false // "bad jump in stack"
		}
		s.pos = p
	}
	return advance(nodes, s, lvl), false
}

// finish skips the rest of the current level after done or die.
func finish(nodes []Node, s state, lvl int) (state, bool) {
	p := s.pos
	for p+1 < len(nodes) && nodes[p+1].Level >= lvl {
		p++
	}
	s.pos = p
	s = advance(nodes, s, lvl)
	return s, s.pos >= len(nodes)
}

// advance moves to the next module, skipping placeholders and saving the
// state when a substack is entered.
func advance(nodes []Node, s state, lvl int) state {
	s.pos++
	for s.pos < len(nodes) && nodes[s.pos].Substack {
		s.pos++
	}
	if s.pos < len(nodes) && nodes[s.pos].Level > lvl {
		s.subImp, s.subOK = s.impression, s.ok
	}
	return s
}

func start(nodes []Node) state {
	return advance(nodes, state{pos: -1}, 0)
}

// reachable reports whether some run calls nodes[target].
func reachable(nodes []Node, target int) bool {
	seen := map[state]bool{}
	var visit func(s state) bool
	visit = func(s state) bool {
		if s.pos >= len(nodes) || seen[s] {
			return false
		}
		if s.pos == target {
			return true
		}
		seen[s] = true
		for _, o := range outcomes(&nodes[s.pos]) {
			if next, done := step(nodes, s, o); !done && visit(next) {
				return true
			}
		}
		return false
	}
	return visit(start(nodes))
}

// bypassPath looks for a run that ends in PAM_SUCCESS without the judged
// module succeeding (with ran, without it running at all), and describes
// the first choice that leaves it out.
func bypassPath(nodes []Node, target int, ran bool) (string, bool) {
	seen := map[state]bool{}
	var visit func(s state, why string) (string, bool)
	visit = func(s state, why string) (string, bool) {
		if s.pos >= len(nodes) {
			if s.impression == 1 && s.ok && !s.hit {
				return why, true
			}
			return "", false
		}
		if seen[s] {
			return "", false
		}
		seen[s] = true
		n := &nodes[s.pos]
		for _, o := range outcomes(n) {
			ns := s
			w := why
			if s.pos == target {
				ns.hit = o.success || ran
				if !ns.hit && w == "" {
					w = fmt.Sprintf("its failure does not fail the stack (%s)", n.Control)
				}
			}
			next, done := step(nodes, ns, o)
			if w == "" && s.pos < target && (done || next.pos > target) {
				w = describeSkip(n, o)
			}
			if done {
				next.pos = len(nodes)
			}
			if r, ok := visit(next, w); ok {
				return r, true
			}
		}
		return "", false
	}
	return visit(start(nodes), "")
}

func describeSkip(n *Node, o outcome) string {
	res := "fails"
	if o.success {
		res = "succeeds"
	}
	where := fmt.Sprintf("%s %s at %s:%d", n.Control, n.ModuleName(), n.File, n.Line)
	if o.act == ActDone || o.act == ActDie {
		return fmt.Sprintf("not reached when %s %s and ends the stack", where, res)
	}
	return fmt.Sprintf("skipped when %s %s and jumps over it", where, res)
}
