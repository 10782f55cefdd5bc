package sshd

import (
	"context"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// CollectFile reads the configuration whose main file is main, so the
// differential test can keep many cases side by side in one tree.
func CollectFile(ctx context.Context, t target.Target, main string) (*Config, error) {
	return collectFile(facts.NewStore(ctx, t), main)
}
