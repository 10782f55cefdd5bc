//go:build !linux

package drift

// watchFiles has no implementation outside Linux: watching falls back to
// the interval.
func watchFiles(dirs []WatchDir) (<-chan struct{}, func(), error) {
	return nil, func() {}, nil
}
