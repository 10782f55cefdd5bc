// Package osrelease collects the platform identity of a target from
// os-release(5).
package osrelease

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Info is the parsed os-release file.
type Info struct {
	ID         string            `json:"id"`
	IDLike     []string          `json:"id_like"`
	VersionID  string            `json:"version_id"`
	PrettyName string            `json:"pretty_name"`
	Fields     map[string]string `json:"fields"`
	Source     string            `json:"source"`
}

// Families returns ID followed by ID_LIKE, the names rule platforms match.
func (i *Info) Families() []string {
	if i == nil {
		return nil
	}
	out := []string{i.ID}
	out = append(out, i.IDLike...)
	// RHEL rebuilds declare ID_LIKE "rhel centos fedora"; Fedora itself
	// needs no alias. Ubuntu declares debian.
	return out
}

// Key is the fact-store key.
const Key = "osrelease"

// Get returns the memoised os-release fact.
func Get(s *facts.Store) (*Info, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Platform is the platform fact (facts.PlatformKey) derived from
// os-release: rule platforms match ID and ID_LIKE.
func Platform(_ context.Context, s *facts.Store) (facts.Platform, error) {
	info, err := Get(s)
	if err != nil {
		return facts.Platform{}, err
	}
	return facts.Platform{ID: info.ID, Families: info.Families(), Name: info.PrettyName}, nil
}

// Collect reads /etc/os-release, falling back to /usr/lib/os-release.
// A target without either yields an empty Info, not an error.
func Collect(_ context.Context, t target.Target) (*Info, error) {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		info := Parse(b)
		info.Source = target.Abs(p)
		return info, nil
	}
	return &Info{Fields: map[string]string{}}, nil
}

// Parse parses os-release content: KEY=value lines with shell-style quoting.
func Parse(b []byte) *Info {
	info := &Info{Fields: map[string]string{}}
	for _, raw := range textline.Split(b) {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		info.Fields[k] = v
	}
	info.ID = strings.ToLower(info.Fields["ID"])
	info.IDLike = strings.Fields(strings.ToLower(info.Fields["ID_LIKE"]))
	info.VersionID = info.Fields["VERSION_ID"]
	info.PrettyName = info.Fields["PRETTY_NAME"]
	return info
}
