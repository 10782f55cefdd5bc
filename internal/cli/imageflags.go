package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/target"
)

// imageLimitFlags raise (or lower) the bounds on reading a container image
// given with --image (docs/security.md, "Bounds"). Every command that
// takes --image registers them with register.
type imageLimitFlags struct {
	maxBytes, maxNameBytes byteSize
	maxEntries             int
}

func (l *imageLimitFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Var(&l.maxBytes, "image-max-bytes", fmt.Sprintf("--image: at most `SIZE` of decompressed layers, and of temporary files (default %s)", formatSize(target.DefaultImageMaxBytes)))
	fl.IntVar(&l.maxEntries, "image-max-entries", target.DefaultImageMaxEntries, "--image: at most `N` tar entries over all layers")
	fl.Var(&l.maxNameBytes, "image-max-name-bytes", fmt.Sprintf("--image: at most `SIZE` of entry names and link targets (default %s)", formatSize(target.DefaultImageMaxNameBytes)))
}

func (l *imageLimitFlags) options() (target.ImageOptions, error) {
	if l.maxEntries < 0 {
		return target.ImageOptions{}, usageErr("--image-max-entries must be positive")
	}
	return target.ImageOptions{Limits: target.ImageLimits{
		MaxBytes: int64(l.maxBytes), MaxEntries: l.maxEntries, MaxNameBytes: int64(l.maxNameBytes),
	}}, nil
}

// byteSize is a flag value in bytes with an optional binary suffix: 512M,
// 16G, 16GiB, 1T.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return formatSize(int64(*b))
}

func (b *byteSize) Type() string { return "SIZE" }

func (b *byteSize) Set(s string) error {
	num := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "IB"), "B")
	shift := 0
	if n := len(num); n > 0 {
		if i := strings.IndexByte("KMGT", num[n-1]); i >= 0 {
			shift, num = 10*(i+1), num[:n-1]
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)>>shift {
		return fmt.Errorf("%q is not a positive size (bytes, or with K, M, G or T)", s)
	}
	*b = byteSize(v << shift)
	return nil
}

func formatSize(n int64) string {
	for _, u := range []struct {
		s     string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}
