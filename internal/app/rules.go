package app

import (
	"io"

	"github.com/cradle-cra/cradle/internal/catalog"
)

// Rules lists the rules of the baseline, or of one profile.
func (a *App) Rules(profile string) (*catalog.RuleList, error) {
	eng, err := a.Catalog()
	if err != nil {
		return nil, err
	}
	list := eng.Rules.Rules
	if profile != "" {
		if list, err = eng.Profiles.Select(eng.Rules, profile); err != nil {
			return nil, Input(err)
		}
	}
	return catalog.NewRuleList(eng.Registry, profile, list), nil
}

// RulesMarkdown writes the reference of the whole baseline (docs/rules.md).
func (a *App) RulesMarkdown(w io.Writer) error {
	eng, err := a.Catalog()
	if err != nil {
		return err
	}
	return writeRulesMarkdown(w, eng)
}
