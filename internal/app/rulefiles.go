package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/rules"
)

// maxRuleFiles bounds the files one --rules directory may hold.
const maxRuleFiles = 1024

// ReadRuleFiles reads an organisation's rule files: each path is a rule
// file, or a directory whose *.yaml and *.yml files (not its
// subdirectories) are read in name order. Every file is bounded like the
// other input files; problems are input errors.
func ReadRuleFiles(paths []string) ([]rules.File, error) {
	var out []rules.File
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, Input(fmt.Errorf("--rules: %w", err))
		}
		names := []string{p}
		if fi.IsDir() {
			ents, err := os.ReadDir(p)
			if err != nil {
				return nil, Input(fmt.Errorf("--rules: %w", err))
			}
			names = names[:0]
			for _, e := range ents {
				if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
					names = append(names, filepath.Join(p, e.Name()))
				}
			}
			if len(names) == 0 {
				return nil, Input(fmt.Errorf("--rules: %s holds no *.yaml or *.yml file", p))
			}
			slices.Sort(names)
		}
		for _, n := range names {
			if len(out) >= maxRuleFiles {
				return nil, Input(fmt.Errorf("--rules: more than %d rule files", maxRuleFiles))
			}
			b, err := ReadInput(n, rules.MaxFileSize)
			if err != nil {
				return nil, err
			}
			out = append(out, rules.File{Name: n, Data: b})
		}
	}
	return out, nil
}

// catalogWith is the catalogue plus the rule files at paths.
func (a *App) catalogWith(paths []string) (*engine.Engine, error) {
	files, err := ReadRuleFiles(paths)
	if err != nil {
		return nil, err
	}
	return a.catalogFrom(files)
}

// catalogFrom is the catalogue plus the rule files already read.
func (a *App) catalogFrom(files []rules.File) (*engine.Engine, error) {
	eng, err := a.Catalog()
	if err != nil || len(files) == 0 {
		return eng, err
	}
	if err := rules.AddFiles(eng.Rules, eng.Profiles, eng.Registry, files); err != nil {
		return nil, Input(err)
	}
	return eng, nil
}
