package sudoers

import (
	"fmt"
	"strings"
)

// Validate reports the first syntax error in sudoers content, as file
// line numbers: a line Parse would silently skip (sudo itself refuses the
// whole policy then), an unterminated quote or continuation, an empty
// Defaults item or an alias without a name. It is a guard for content a
// fix writes, not a full visudo: it accepts what sudo accepts for the
// constructs cradle emits and edits.
func Validate(data []byte) error {
	for l := range sudoersLines.Lines(data) {
		switch {
		case l.TooLong:
			return fmt.Errorf("line %d: longer than %d bytes", l.Num, maxLine)
		case l.Unterminated:
			return fmt.Errorf("line %d: continuation at end of file", l.Num)
		}
		if err := validateLine(l.Text); err != nil {
			return fmt.Errorf("line %d: %w", l.Num, err)
		}
	}
	return nil
}

func validateLine(raw string) error {
	t := strings.TrimSpace(raw)
	for _, d := range []string{"@includedir", "#includedir", "@include", "#include"} {
		if rest, ok := strings.CutPrefix(t, d); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			if strings.TrimSpace(rest) == "" {
				return fmt.Errorf("%s without a path", d)
			}
			return nil
		}
	}
	t = strings.TrimSpace(stripComment(t))
	if t == "" {
		return nil
	}
	if strings.Count(strings.ReplaceAll(t, `\"`, ""), `"`)%2 != 0 {
		return fmt.Errorf("unterminated quote")
	}
	if strings.Count(t, "(") != strings.Count(t, ")") {
		return fmt.Errorf("unbalanced parentheses")
	}
	word, rest := cutWord(t)
	switch {
	case word == "Defaults" || strings.HasPrefix(word, "Defaults") && len(word) > 8 && strings.ContainsAny(word[8:9], ":@>!"):
		if len(word) > 8 && len(word) == 9 {
			return fmt.Errorf("%s without a qualifier", word)
		}
		if rest == "" {
			return fmt.Errorf("Defaults without settings")
		}
		for _, item := range splitList(rest) {
			item = strings.TrimSpace(item)
			name := strings.TrimLeft(item, "! \t")
			if i := strings.IndexAny(name, "+-="); i >= 0 {
				name = strings.TrimSpace(strings.TrimRight(name[:i], "+-"))
			}
			if name == "" || strings.ContainsAny(name, " \t") {
				return fmt.Errorf("bad Defaults item %q", item)
			}
		}
		return nil
	case strings.HasPrefix(word, "Defaults"):
		return fmt.Errorf("unknown Defaults form %q", word)
	case word == "User_Alias" || word == "Runas_Alias" || word == "Host_Alias" || word == "Cmnd_Alias" || word == "Cmd_Alias":
		for _, def := range strings.Split(rest, ":") {
			name, members, ok := strings.Cut(def, "=")
			name = strings.TrimSpace(name)
			if !ok || name == "" || strings.ToUpper(name) != name || strings.TrimSpace(members) == "" {
				return fmt.Errorf("bad %s definition %q", word, strings.TrimSpace(def))
			}
		}
		return nil
	}
	if len(parseSpec(t, "", 0)) == 0 {
		return fmt.Errorf("not a sudoers statement: %q", t)
	}
	return nil
}
