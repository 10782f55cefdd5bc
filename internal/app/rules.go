package app

import (
	"errors"
	"io"

	"github.com/cradle-cra/cradle/internal/catalog"
)

// RulesInput asks for the rule catalogue: the whole baseline, one
// profile's rules, or the rules named by IDs; RuleFiles adds an
// organisation's own rule files (Selection.RuleFiles).
type RulesInput struct {
	Profile   string
	IDs       []string
	RuleFiles []string
}

// Rules lists the rules of the baseline, of one profile, or the rules
// asked for by id. An unknown id is an input error with the closest id.
func (a *App) Rules(in RulesInput) (*catalog.RuleList, error) {
	eng, err := a.catalogWith(in.RuleFiles)
	if err != nil {
		return nil, err
	}
	list := eng.Rules.Rules
	if in.Profile != "" {
		if list, err = eng.Profiles.Select(eng.Rules, in.Profile); err != nil {
			return nil, Input(err)
		}
	}
	if len(in.IDs) > 0 {
		list = list[:0:0]
		var errs []error
		for _, id := range in.IDs {
			if msg := eng.Rules.UnknownID(id); msg != "" {
				errs = append(errs, errors.New(msg))
				continue
			}
			r, _ := eng.Rules.Lookup(id)
			list = append(list, r)
		}
		if len(errs) > 0 {
			return nil, Input(errors.Join(errs...))
		}
	}
	return catalog.NewRuleList(eng, in.Profile, in.IDs, list), nil
}

// RulesMarkdown writes the reference of the whole baseline (docs/rules.md).
func (a *App) RulesMarkdown(w io.Writer) error {
	eng, err := a.Catalog()
	if err != nil {
		return err
	}
	return writeRulesMarkdown(w, eng)
}
