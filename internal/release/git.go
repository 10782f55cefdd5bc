package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Meta identifies the source a release is built from. Every artifact is a
// function of the source tree and Meta, so equal Meta gives equal bytes.
type Meta struct {
	// Version is the semantic version without "v": "1.2.3" for a tagged
	// release, "1.2.4-snapshot.5+0123456789ab" five commits after v1.2.3,
	// "0.0.0-snapshot+0123456789ab" before the first tag.
	Version string
	// Revision is the full commit id ("" outside a git checkout).
	Revision string
	// Modified reports uncommitted changes to tracked files.
	Modified bool
	// Epoch is SOURCE_DATE_EPOCH: the commit time unless the environment
	// sets it. Every timestamp in every artifact is this time.
	Epoch time.Time
}

// Describe derives Meta from the git checkout at dir. A release (snapshot
// false) must be a clean tree checked out exactly at a tag vX.Y.Z[-pre].
// sourceDateEpoch, when not empty, overrides the commit time.
func Describe(ctx context.Context, dir string, snapshot bool, sourceDateEpoch string) (Meta, error) {
	var m Meta
	rev, err := git(ctx, dir, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return m, fmt.Errorf("not a git checkout with a commit (a release is built from one): %w", err)
	}
	m.Revision = rev
	status, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return m, err
	}
	m.Modified = status != ""
	ct, err := git(ctx, dir, "show", "-s", "--format=%ct", "HEAD")
	if err != nil {
		return m, err
	}
	epoch := ct
	if sourceDateEpoch != "" {
		epoch = sourceDateEpoch
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil || sec < 0 {
		return m, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a non-negative number of seconds", epoch)
	}
	m.Epoch = time.Unix(sec, 0).UTC()

	// Tags describe only commits; --match keeps unrelated tags out.
	desc, derr := git(ctx, dir, "describe", "--tags", "--long", "--match", "v[0-9]*", "HEAD")
	m.Version, err = versionFrom(desc, derr == nil, rev, snapshot, m.Modified)
	if err != nil {
		return m, err
	}
	if !snapshot && m.Modified {
		return m, errors.New("the tree has uncommitted changes; commit them or build a --snapshot")
	}
	return m, nil
}

var describeRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?-(\d+)-g[0-9a-f]+$`)

// versionFrom turns `git describe --tags --long` output into a version.
// A clean tree at a tag is that version, snapshot or not; a modified one
// is a snapshot after it (1.2.4-snapshot.0), so its packages never pass
// for the release.
// Snapshots sort after the tag they follow and before the next release:
// v1.2.3 plus 5 commits gives 1.2.4-snapshot.5, v1.3.0-rc.1 plus 2 gives
// 1.3.0-rc.1.snapshot.2; the build metadata names the commit.
func versionFrom(desc string, described bool, rev string, snapshot, modified bool) (string, error) {
	short := rev
	if len(short) > 12 {
		short = short[:12]
	}
	if !described {
		if !snapshot {
			return "", errors.New("HEAD has no vX.Y.Z tag; tag the release or build a --snapshot")
		}
		return "0.0.0-snapshot+" + short, nil
	}
	p := describeRE.FindStringSubmatch(desc)
	if p == nil {
		return "", fmt.Errorf("tag in %q is not vMAJOR.MINOR.PATCH[-PRERELEASE]", desc)
	}
	major, minor, patch, pre, n := p[1], p[2], p[3], strings.TrimPrefix(p[4], "-"), p[5]
	if n == "0" && !modified {
		if pre != "" {
			return major + "." + minor + "." + patch + "-" + pre, nil
		}
		return major + "." + minor + "." + patch, nil
	}
	if !snapshot {
		if n == "0" {
			return "", errors.New("the tree has uncommitted changes; commit them or build a --snapshot")
		}
		return "", fmt.Errorf("HEAD is %s commits after the last tag (%s); tag the release or build a --snapshot", n, desc)
	}
	if pre != "" {
		return fmt.Sprintf("%s.%s.%s-%s.snapshot.%s+%s", major, minor, patch, pre, n, short), nil
	}
	pn, err := strconv.Atoi(patch)
	if err != nil {
		return "", fmt.Errorf("tag %q: %w", desc, err)
	}
	return fmt.Sprintf("%s.%s.%d-snapshot.%s+%s", major, minor, pn+1, n, short), nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}
