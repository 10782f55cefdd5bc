package cli

import "github.com/spf13/cobra"

// NewRootCommand returns cradle's complete command tree wired to env, for
// tools that generate man pages and shell completion from it.
func NewRootCommand(env Env) *cobra.Command { return newRoot(&env) }
