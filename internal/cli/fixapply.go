package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/target"
)

// preflight returns the impact assessor for the target.
func preflight(cmd *cobra.Command, env *Env, t target.Target, f *fixFlags) (fix.Assessor, error) {
	return nil, nil
}

func applyFix(cmd *cobra.Command, env *Env, f *fixFlags, eng *engine.Engine, plan *fix.Plan, fo fix.Options) (*fix.Document, error) {
	return nil, usageErr("--apply is not available yet")
}
