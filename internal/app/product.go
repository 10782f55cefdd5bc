package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/cradle-cra/cradle/internal/classify"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/rules"
)

// InitInput asks for a starter product file.
type InitInput struct {
	File    string // where to write; default ./cradle.yaml
	Force   bool   // replace an existing file
	Answers product.Answers
}

// Init writes a commented starter product file and returns its path and
// the gaps the person should fill. An existing file is kept unless Force.
func (a *App) Init(_ context.Context, in InitInput) (string, []product.Warning, error) {
	if in.File == "" {
		in.File = product.DefaultFile
	}
	if in.Answers.Target != "" && !contains(product.Targets, in.Answers.Target) {
		return "", nil, Usagef("--target %q: want one of host, rootfs, image", in.Answers.Target)
	}
	if in.Answers.SupportYears < 0 {
		return "", nil, Usagef("--support-years %d: not a number of years", in.Answers.SupportYears)
	}
	in.Answers.Categories = noneIsEmpty(in.Answers.Categories)
	for _, c := range in.Answers.Categories {
		if _, ok := classify.Lookup(c); !ok {
			return "", nil, Usagef("--category %q: no such Annex III/IV category (cradle classify --list)", c)
		}
	}
	if _, err := os.Lstat(in.File); err == nil && !in.Force {
		return "", nil, Usagef("%s exists; use --force to replace it", in.File)
	}
	b, err := product.Starter(in.Answers)
	if err != nil {
		return "", nil, Usagef("%v", err)
	}
	_, warns, err := product.Parse(in.File, b)
	if err != nil {
		return "", nil, fmt.Errorf("starter product file: %w", err)
	}
	if err := fileutil.WriteAtomic(in.File, b, 0o644); err != nil {
		return "", nil, Usagef("write %s: %v", in.File, err)
	}
	return in.File, warns, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// LoadProduct reads and validates a product file (at most
// rules.MaxFileSize bytes); problems are input errors with file:line.
func (a *App) LoadProduct(file string) (*product.File, []product.Warning, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, Usagef("%v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, rules.MaxFileSize+1))
	if err != nil {
		return nil, nil, Usagef("%s: %v", file, err)
	}
	p, warns, err := product.Parse(file, b)
	if err != nil {
		return nil, nil, Usagef("%v", err)
	}
	return p, warns, nil
}

// InitAnswers are the answers cradle init collects.
type InitAnswers = product.Answers

// Categories lists Annex III and IV.
func (a *App) Categories() []classify.Category { return classify.Categories() }

// ClassifyInput gives the answers: from a product file, from flags, or
// both (flags win).
type ClassifyInput struct {
	// File is the product file; "" reads ./cradle.yaml when it exists.
	File string
	// Categories, when non-nil, replace the file's (empty: none applies).
	Categories []string
	// Standards (full, partial, none), Scheme (basic, substantial, high)
	// and FOSS override the file's answers when set.
	Standards *string
	Scheme    *string
	FOSS      *bool
}

// Classify applies Annex III/IV and Art. 32 to the answers. With no
// answers at all it is an input error: a product is never declared
// "default" because nobody was asked.
func (a *App) Classify(_ context.Context, in ClassifyInput) (*classify.Result, []product.Warning, error) {
	var ans classify.Input
	answered := false
	name := ""
	var warns []product.Warning
	file := in.File
	if file == "" {
		if _, err := os.Stat(product.DefaultFile); err == nil {
			file = product.DefaultFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, Usagef("%v", err)
		}
	}
	if file != "" {
		p, w, err := a.LoadProduct(file)
		if err != nil {
			return nil, nil, err
		}
		warns = w
		name = p.Product.Name
		ans = p.Classification.Input()
		answered = p.Classification.Categories != nil
	}
	if in.Categories != nil {
		ans.Categories, answered = noneIsEmpty(in.Categories), true
	}
	if in.Standards != nil {
		ans.Standards = classify.Standards(*in.Standards)
	}
	if in.Scheme != nil {
		ans.Scheme = classify.Assurance(*in.Scheme)
	}
	if in.FOSS != nil {
		ans.FreeOpenSource = *in.FOSS
	}
	if !answered {
		return nil, warns, Usagef("no classification answers: set classification.categories in the product file ([] when no Annex III/IV category applies), or pass --category ID (repeatable) or --category none, or answer the questions with --interactive")
	}
	r, err := classify.Classify(ans)
	if err != nil {
		return nil, warns, Usagef("%v", err)
	}
	r.Product = name
	return r, warns, nil
}

// noneIsEmpty reads the answer "none" (no category applies) as an empty,
// answered list; nil stays unanswered.
func noneIsEmpty(ids []string) []string {
	if ids == nil {
		return nil
	}
	out := []string{}
	for _, id := range ids {
		if !strings.EqualFold(strings.TrimSpace(id), "none") {
			out = append(out, id)
		}
	}
	return out
}

// ListCategories writes Annexes III and IV as a table.
func (a *App) ListCategories(w io.Writer) error { return classify.ListTable(w) }

// productFile reads file, or ./cradle.yaml when file is "" and it exists
// (nil then when it does not).
func (a *App) productFile(file string) (*product.File, []product.Warning, error) {
	if file == "" {
		if _, err := os.Stat(product.DefaultFile); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, nil
			}
			return nil, nil, Usagef("%v", err)
		}
		file = product.DefaultFile
	}
	return a.LoadProduct(file)
}
