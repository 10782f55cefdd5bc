// Package facts caches what collectors learn about a target for the length
// of one scan. Collectors live in their own packages (internal/collect/...)
// and are plain functions; a fact is collected at most once, on first use,
// so a scan reads only what its selected rules need.
//
// A collector receives the store, so a fact may be built on other facts
// (the sshd configuration asks for the package inventory and os-release)
// instead of re-reading their files. The store guards against dependency
// cycles: a fact that needs itself, directly or through other facts, gets a
// *CycleError instead of waiting for itself forever, also when the facts on
// the cycle are being collected by different goroutines.
package facts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Collector gathers one typed fact. It reads the target through
// s.Target() and may ask s for the facts it builds on; ctx is the scan
// context. It must ask the store it is given, not one captured from
// elsewhere: that store knows which collection is asking, which is how
// dependency cycles are found.
type Collector[T any] func(ctx context.Context, s *Store) (T, error)

// OfTarget adapts a collector that needs nothing but the target.
func OfTarget[T any](collect func(ctx context.Context, t target.Target) (T, error)) Collector[T] {
	return func(ctx context.Context, s *Store) (T, error) { return collect(ctx, s.Target()) }
}

// Store memoises collector results for one target. The zero value is not
// usable; call NewStore.
type Store struct {
	sh *shared
	// chain lists the facts whose collection this view of the store is
	// part of, outermost first: a collector gets a view with its own key
	// appended, so the store knows who is asking.
	chain []string
}

type shared struct {
	ctx     context.Context
	target  target.Target
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	done chan struct{} // closed when v and err are set
	v    any
	err  error
	// waitsOn is the fact this entry's collector is asking for right now
	// (collecting it inline or waiting for another goroutine's
	// collection); guarded by shared.mu. Following waitsOn from entry to
	// entry is the wait-for graph cycles are detected in.
	waitsOn string
}

// NewStore returns an empty store over t. ctx bounds every collection.
func NewStore(ctx context.Context, t target.Target) *Store {
	return &Store{sh: &shared{ctx: ctx, target: t, entries: map[string]*entry{}}}
}

// Target returns the target the store reads.
func (s *Store) Target() target.Target { return s.sh.target }

// Context returns the scan context.
func (s *Store) Context() context.Context { return s.sh.ctx }

// CycleError reports facts that depend on each other in a circle.
type CycleError struct {
	// Chain is the cycle, starting and ending with the same fact.
	Chain []string
}

func (e *CycleError) Error() string {
	return "fact dependency cycle: " + strings.Join(e.Chain, " → ")
}

// Get returns the fact under key, collecting it on first use. Concurrent
// callers of the same key wait for one collection; the result, error
// included, is kept for the life of the store. key must always be used with
// the same T. A collector that panics yields an error for every caller.
func Get[T any](s *Store, key string, collect Collector[T]) (T, error) {
	var zero T
	v, err := s.get(key, func(ctx context.Context, sub *Store) (any, error) { return collect(ctx, sub) })
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("fact %q holds %T, not the requested type", key, v)
	}
	return t, nil
}

func (s *Store) get(key string, collect func(context.Context, *Store) (any, error)) (any, error) {
	if i := slices.Index(s.chain, key); i >= 0 {
		return nil, &CycleError{Chain: append(slices.Clone(s.chain[i:]), key)}
	}
	sh := s.sh
	sh.mu.Lock()
	e, ok := sh.entries[key]
	if ok {
		select {
		case <-e.done:
			sh.mu.Unlock()
			return e.v, e.err
		default:
		}
		// Another goroutine is collecting key. Waiting is safe unless that
		// collection is itself (transitively) waiting for one of ours.
		if cyc := sh.cycle(key, s.chain); cyc != nil {
			sh.mu.Unlock()
			return nil, cyc
		}
	} else {
		e = &entry{done: make(chan struct{})}
		sh.entries[key] = e
	}
	caller := s.caller()
	if caller != nil {
		caller.waitsOn = key
	}
	sh.mu.Unlock()
	defer func() {
		if caller != nil {
			sh.mu.Lock()
			caller.waitsOn = ""
			sh.mu.Unlock()
		}
	}()
	if !ok {
		sh.run(e, key, s.chain, collect)
		return e.v, e.err
	}
	select {
	case <-e.done:
		return e.v, e.err
	case <-sh.ctx.Done():
		return nil, fmt.Errorf("fact %q: %w", key, sh.ctx.Err())
	}
}

// caller returns the entry whose collector asks through s, nil for a
// caller outside any collector. Called with sh.mu held.
func (s *Store) caller() *entry {
	if len(s.chain) == 0 {
		return nil
	}
	return s.sh.entries[s.chain[len(s.chain)-1]]
}

// cycle follows what key's collection waits on; reaching a fact of chain
// (the facts the asking goroutine is collecting) closes a cycle. Called
// with sh.mu held.
func (sh *shared) cycle(key string, chain []string) *CycleError {
	path := []string{key}
	for k := key; ; {
		e := sh.entries[k]
		if e == nil || e.waitsOn == "" {
			return nil
		}
		k = e.waitsOn
		path = append(path, k)
		if i := slices.Index(chain, k); i >= 0 {
			return &CycleError{Chain: append(slices.Clone(chain[i:]), path...)}
		}
		if len(path) > len(sh.entries) {
			return nil // cannot happen: every cycle passes through chain
		}
	}
}

// run collects e, turning a panic into an error so that goroutines waiting
// for the fact are released.
func (sh *shared) run(e *entry, key string, chain []string, collect func(context.Context, *Store) (any, error)) {
	defer close(e.done)
	defer func() {
		if p := recover(); p != nil {
			e.v, e.err = nil, fmt.Errorf("fact %q: collector panicked: %v", key, p)
		}
	}()
	sub := &Store{sh: sh, chain: append(slices.Clip(chain), key)}
	e.v, e.err = collect(sh.ctx, sub)
}

// Platform identifies a target's operating system; rules declare the
// platforms they apply to against Families.
type Platform struct {
	// ID is the distribution id ("debian"), "" when unknown.
	ID string
	// Families are ID followed by the distributions it derives from.
	Families []string
	// Name is the human-readable name reports show ("Debian GNU/Linux 12").
	Name string
}

// PlatformKey is the store key of the platform fact. The engine asks for
// it with the detector it is configured with, so it needs no collector.
const PlatformKey = "platform"
