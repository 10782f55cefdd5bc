// Package facts caches what collectors learn about a target for the length
// of one scan. Collectors live in their own packages (internal/collect/...)
// and are plain functions; a fact is collected at most once, on first use,
// so a scan reads only what its selected rules need.
package facts

import (
	"context"
	"fmt"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Collector gathers one typed fact from a target.
type Collector[T any] func(ctx context.Context, t target.Target) (T, error)

// Store memoises collector results for one target.
type Store struct {
	ctx     context.Context
	target  target.Target
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	once sync.Once
	v    any
	err  error
}

// NewStore returns an empty store over t. ctx bounds every collection.
func NewStore(ctx context.Context, t target.Target) *Store {
	return &Store{ctx: ctx, target: t, entries: map[string]*entry{}}
}

// Target returns the target the store reads.
func (s *Store) Target() target.Target { return s.target }

// Context returns the scan context.
func (s *Store) Context() context.Context { return s.ctx }

// Get returns the fact under key, collecting it on first use. Concurrent
// callers of the same key wait for one collection. key must always be used
// with the same T.
func Get[T any](s *Store, key string, collect Collector[T]) (T, error) {
	s.mu.Lock()
	e, ok := s.entries[key]
	if !ok {
		e = &entry{}
		s.entries[key] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		e.v, e.err = collect(s.ctx, s.target)
	})
	if e.err != nil {
		var zero T
		return zero, e.err
	}
	v, ok := e.v.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("fact %q holds %T, not the requested type", key, e.v)
	}
	return v, nil
}
