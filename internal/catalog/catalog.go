// Package catalog assembles what a run needs from the built-in parts: the
// registry of check templates and the embedded baseline, checked against
// each other.
package catalog

import (
	"fmt"

	"github.com/cradle-cra/cradle/internal/baseline"
	"github.com/cradle-cra/cradle/internal/checks"
	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/traits"
	"github.com/cradle-cra/cradle/internal/engine"
)

// Load returns an engine over the built-in templates and baseline.
func Load(version string) (*engine.Engine, error) {
	reg, err := checks.Registry()
	if err != nil {
		return nil, err
	}
	set, profiles, err := baseline.Load(reg)
	if err != nil {
		return nil, fmt.Errorf("built-in baseline: %w", err)
	}
	return &engine.Engine{Registry: reg, Rules: set, Profiles: profiles, Version: version, Platform: osrelease.Platform,
		Lacking: traits.Lacking, TemplateRequires: TemplateRequires}, nil
}

// TemplateRequires are the traits the rules of a template require unless
// they say otherwise: kernel parameters, module policy, mounts, audit
// rules and packet filtering take effect only on a target that boots its
// own kernel (a container's are its host's or its runtime's).
var TemplateRequires = map[string][]string{
	"firewall":               {traits.Kernel},
	"audit_privileged":       {traits.Kernel},
	"sysctl":                 {traits.Kernel},
	"kernel_module_disabled": {traits.Kernel},
	"mount_option":           {traits.Kernel},
	"audit_rule":             {traits.Kernel},
}
