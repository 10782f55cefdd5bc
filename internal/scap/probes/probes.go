// Package probes collects the system characteristics OVAL objects describe
// (textfilecontent54, file, dpkginfo, sysctl, systemd units, ...) from a
// target, for the OVAL engine in internal/scap/oval. Every read goes
// through internal/target, so the same probes serve the live host, an
// offline root filesystem and a container image, and nothing is ever
// written into the target. Where a characteristic only exists at runtime
// (sysctl values, mounts, the kernel), an offline target gets what its
// persisted configuration would produce, and the item says so; what cannot
// be known offline is reported "not collected", never guessed.
package probes

import (
	"strconv"
	"sync"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// Default returns a registry with every probe of this package, keyed by
// OVAL object type without "_object". variable_object is the engine's own.
// Each call returns fresh probes with their own caches (one per scan).
func Default() oval.Registry {
	fc := newFileCache()
	s := &state{memo: map[memoKey]*memoEntry{}}
	return oval.Registry{
		"textfilecontent54":     textFileProbe{fc},
		"file":                  fileProbe{fc},
		"dpkginfo":              oval.ProbeFunc(s.dpkgInfo),
		"rpminfo":               oval.ProbeFunc(s.rpmInfo),
		"sysctl":                oval.ProbeFunc(s.sysctl),
		"partition":             oval.ProbeFunc(s.partition),
		"systemdunitdependency": oval.ProbeFunc(s.unitDependency),
		"systemdunitproperty":   oval.ProbeFunc(s.unitProperty),
		"family":                oval.ProbeFunc(family),
		"uname":                 oval.ProbeFunc(s.uname),
		"environmentvariable58": oval.ProbeFunc(environment),
		"password":              oval.ProbeFunc(s.password),
		"shadow":                oval.ProbeFunc(s.shadow),
	}
}

// state memoises what several objects read from one target (the package
// database, unit files, sysctl configuration, accounts).
type state struct {
	mu   sync.Mutex
	memo map[memoKey]*memoEntry
}

type memoKey struct {
	t    target.Target
	name string
}

type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

// memoGet computes f once per (target, name).
func memoGet[T any](s *state, t target.Target, name string, f func() (T, error)) (T, error) {
	s.mu.Lock()
	e, ok := s.memo[memoKey{t, name}]
	if !ok {
		e = &memoEntry{}
		s.memo[memoKey{t, name}] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	v, _ := e.v.(T)
	return v, e.err
}

func str(s string) []oval.Value { return []oval.Value{oval.Str(s)} }

func intv(n int64) []oval.Value {
	return []oval.Value{{Datatype: oval.Int, Text: strconv.FormatInt(n, 10)}}
}

func boolv(b bool) []oval.Value {
	return []oval.Value{{Datatype: oval.Boolean, Text: strconv.FormatBool(b)}}
}

// collected wraps items: complete when there are some, does not exist
// otherwise.
func collected(items []oval.Item, notes ...string) oval.Collected {
	c := oval.Collected{Items: items, Notes: notes, Flag: oval.FlagComplete}
	if len(items) == 0 {
		c.Flag = oval.FlagDoesNotExist
	}
	return c
}

// notCollected says why nothing could be looked at: the test result is
// then unknown/error, never pass.
func notCollected(msg string) oval.Collected {
	return oval.Collected{Flag: oval.FlagNotCollected, Message: msg}
}

// literalValues returns e's values when the entity selects by equality (so
// candidates can be enumerated directly), or nil and false.
func literalValues(e *oval.ObjectEntity) ([]string, bool) {
	if e == nil {
		return nil, false
	}
	switch e.Operation {
	case "", oval.Equals:
		return e.Values, true
	}
	return nil, false
}
