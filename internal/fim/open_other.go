//go:build !linux

package fim

import (
	"github.com/cradle-cra/cradle/internal/target"
)

// opener opens files through the target elsewhere.
type opener struct{ t target.Target }

func newOpener(t target.Target) (*opener, error) { return &opener{t: t}, nil }

func (o *opener) Close() error { return nil }

func (o *opener) open(rel string) (handle, error) {
	rc, err := o.t.Open(rel)
	if err != nil {
		return nil, err
	}
	return targetFile{rc, rel}, nil
}
