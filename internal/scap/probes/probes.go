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
	"context"
	"fmt"
	"slices"
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
	fileEnts := []string{"filepath", "path", "filename"}
	fileBehs := []string{"max_depth", "recurse", "recurse_direction", "recurse_file_system"}
	return oval.Registry{
		"textfilecontent54": checked(textFileProbe{fc}, append(fileEnts, "pattern", "instance"),
			append(fileBehs, "multiline", "singleline", "ignore_case")),
		"file":                  checked(fileProbe{fc}, fileEnts, fileBehs),
		"dpkginfo":              checked(oval.ProbeFunc(s.dpkgInfo), []string{"name"}, nil),
		"rpminfo":               checked(oval.ProbeFunc(s.rpmInfo), []string{"name"}, nil),
		"sysctl":                checked(oval.ProbeFunc(s.sysctl), []string{"name"}, nil),
		"partition":             checked(oval.ProbeFunc(s.partition), []string{"mount_point"}, nil),
		"systemdunitdependency": checked(oval.ProbeFunc(s.unitDependency), []string{"unit"}, nil),
		"systemdunitproperty":   checked(oval.ProbeFunc(s.unitProperty), []string{"unit", "property"}, nil),
		"family":                checked(oval.ProbeFunc(family), nil, nil),
		"uname":                 checked(oval.ProbeFunc(s.uname), nil, nil),
		"environmentvariable58": checked(oval.ProbeFunc(environment), []string{"pid", "name"}, nil),
		"password":              checked(oval.ProbeFunc(s.password), []string{"username"}, nil),
		"shadow":                checked(oval.ProbeFunc(s.shadow), []string{"username"}, nil),
	}
}

// checked refuses objects with entities or behaviors the probe does not
// implement: an ignored one would silently widen or narrow what is
// collected, so the test is an error naming it instead.
func checked(p oval.Probe, entities, behaviors []string) oval.Probe {
	return oval.ProbeFunc(func(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
		for _, e := range obj.Entities {
			if !slices.Contains(entities, e.Name) {
				return oval.Collected{}, fmt.Errorf("%s_object %s: entity %s is not supported", obj.Type, obj.ID, e.Name)
			}
		}
		for b := range obj.Behaviors {
			if !slices.Contains(behaviors, b) {
				return oval.Collected{}, fmt.Errorf("%s_object %s: behavior %s is not supported", obj.Type, obj.ID, b)
			}
		}
		if env == nil || env.Target == nil {
			return oval.Collected{}, fmt.Errorf("%s_object %s: no target", obj.Type, obj.ID)
		}
		return p.Collect(ctx, obj, env)
	})
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

// keep applies the object's filters to an item early (the engine applies
// them again): objects that search whole trees would otherwise hold an
// item for every file.
func keep(obj *oval.Object, it oval.Item) (bool, error) {
	if obj.Keep == nil {
		return true, nil
	}
	return obj.Keep(it)
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
