package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// maxTextFile bounds each file textfilecontent54 reads.
const maxTextFile = 16 << 20

// maxMatches bounds the instances collected from one file.
const maxMatches = 100_000

// textFileProbe is textfilecontent54_object: the matches of a pattern in
// the files an object designates, one item per match instance. The
// multiline behavior (default true) lets ^ and $ match at line breaks,
// singleline (default false) lets . match a newline.
type textFileProbe struct{ fc *fileCache }

func (p textFileProbe) Collect(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	pe := obj.Entity("pattern")
	if pe == nil || len(pe.Values) == 0 {
		return oval.Collected{}, fmt.Errorf("textfilecontent54_object %s: no pattern", obj.ID)
	}
	flags := ""
	if obj.Behavior("multiline", "true") == "true" {
		flags += "m"
	}
	if obj.Behavior("singleline", "false") == "true" {
		flags += "s"
	}
	if obj.Behavior("ignore_case", "false") == "true" {
		flags += "i"
	}
	var res []*oval.Regex
	for _, v := range pe.Values {
		pat := v
		if flags != "" {
			pat = "(?" + flags + ")" + v
		}
		re, err := oval.CompileRegex(pat)
		if err != nil {
			return oval.Collected{}, fmt.Errorf("textfilecontent54_object %s: %w", obj.ID, err)
		}
		res = append(res, re)
	}
	inst := obj.Entity("instance")
	var items []oval.Item
	engines := map[string]bool{}
	err := p.fc.resolveFiles(ctx, env.Target, obj, func(r fileRef) error {
		if r.Name == "" {
			return nil
		}
		// Only regular files have content (a FIFO or device is skipped,
		// as are dangling symlinks).
		if r.info != nil && r.info.fmode()&fs.ModeSymlink == 0 {
			if !r.info.fmode().IsRegular() {
				return nil
			}
		} else if fi, err := env.Target.Stat(r.abs()); err != nil || !fi.Mode.IsRegular() {
			return nil
		}
		b, err := target.ReadFileLimit(env.Target, r.abs(), maxTextFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("read %s: %w", r.abs(), err)
		}
		text := string(b)
		for i, re := range res {
			engines[re.Engine] = true
			ms, err := re.FindAllSubmatch(text, maxMatches)
			if err != nil {
				return fmt.Errorf("%s: %w", r.abs(), err)
			}
			for n, m := range ms {
				ok, err := inst.Match(strconv.Itoa(n + 1))
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				f := map[string][]oval.Value{
					"filepath": str(r.abs()),
					"path":     str(r.Dir),
					"filename": str(r.Name),
					"pattern":  str(pe.Values[i]),
					"instance": intv(int64(n + 1)),
					"text":     str(m[0]),
				}
				for _, g := range m[1:] {
					f["subexpression"] = append(f["subexpression"], oval.Str(g))
				}
				it := oval.Item{Fields: f}
				if ok, err := keep(obj, it); err != nil {
					return err
				} else if ok {
					items = append(items, it)
				}
			}
		}
		return nil
	})
	if err != nil {
		return oval.Collected{}, err
	}
	var notes []string
	for e := range engines {
		notes = append(notes, "regex engine: "+e)
	}
	return collected(items, notes...), nil
}
