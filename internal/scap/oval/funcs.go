package oval

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// objectComponent takes an item field (or a record field of it) from every
// existing item of an object.
func (ev *Evaluator) objectComponent(ctx context.Context, n *node, depth int) ([]Value, error) {
	ref, field, rec := n.attr("object_ref"), n.attr("item_field"), n.attr("record_field")
	c := ev.object(ctx, ref, depth+1)
	switch c.flag {
	case FlagError, FlagNotCollected, FlagNotApplicable:
		return nil, fmt.Errorf("object %s: %s (%s)", ref, c.flag, c.msg)
	}
	var out []Value
	for _, it := range c.items {
		if it.Status != "" && it.Status != StatusExists {
			continue
		}
		for _, v := range it.Fields[field] {
			if rec != "" {
				rv, ok := v.Record[rec]
				if !ok {
					continue
				}
				v = rv
			}
			out = append(out, Value{Datatype: v.Datatype, Text: v.Text})
		}
	}
	return ev.limitValues(out)
}

// timeDifference returns seconds between two date-times: the second
// component minus the first, or now minus the only component.
func timeDifference(n *node, args [][]Value, max int) ([]Value, error) {
	f1, f2 := n.attr("format_1"), n.attr("format_2")
	switch len(args) {
	case 1:
		nowV := Str(strconv.FormatInt(now().UTC().Unix(), 10))
		return cartesian([][]Value{args[0], {nowV}}, max, func(p []Value) (Value, error) {
			t, err := parseTime(p[0].Text, orDefault(f2, "year_month_day"))
			if err != nil {
				return Value{}, err
			}
			return intValue(now().UTC().Unix() - t.Unix()), nil
		})
	case 2:
		return cartesian(args, max, func(p []Value) (Value, error) {
			a, err := parseTime(p[0].Text, orDefault(f1, "year_month_day"))
			if err != nil {
				return Value{}, err
			}
			b, err := parseTime(p[1].Text, orDefault(f2, "year_month_day"))
			if err != nil {
				return Value{}, err
			}
			return intValue(b.Unix() - a.Unix()), nil
		})
	}
	return nil, fmt.Errorf("needs one or two components, got %d", len(args))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func intValue(i int64) Value { return Value{Datatype: Int, Text: strconv.FormatInt(i, 10)} }

// parseTime reads the DateTimeFormatEnumeration formats.
func parseTime(s, format string) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch format {
	case "seconds_since_epoch":
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not seconds since the epoch", s)
		}
		return time.Unix(i, 0).UTC(), nil
	case "win_filetime":
		x, ok := new(big.Int).SetString(strings.TrimPrefix(strings.ToLower(s), "0x"), 16)
		if !ok {
			return time.Time{}, fmt.Errorf("%q is not a Windows file time", s)
		}
		// 100 ns ticks since 1601-01-01.
		secs := new(big.Int).Div(x, big.NewInt(10000000)).Int64()
		return time.Unix(secs-11644473600, 0).UTC(), nil
	case "cim_datetime":
		if len(s) >= 14 {
			return time.Parse("20060102150405", s[:14])
		}
		return time.Time{}, fmt.Errorf("%q is not a CIM datetime", s)
	}
	var layouts []string
	dates := map[string][]string{
		"year_month_day": {"20060102", "2006-01-02", "2006/01/02", "2006.01.02"},
		"month_day_year": {"01022006", "01-02-2006", "01/02/2006", "01.02.2006", "Jan 2, 2006", "January 2, 2006", "Jan 02, 2006"},
		"day_month_year": {"02012006", "02-01-2006", "02/01/2006", "02.01.2006"},
	}[format]
	if dates == nil {
		return time.Time{}, fmt.Errorf("date-time format %q is not supported", format)
	}
	for _, d := range dates {
		layouts = append(layouts, d, d+" 15:04:05", d+"T150405", d+"T15:04:05", d+" 150405")
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a %s date", s, format)
}

// globToRegex converts a shell glob to an anchored regular expression:
// "*" and "?" stay within one path component and, like the shell, do not
// match a leading dot there.
func globToRegex(glob string, noEscape bool) (string, error) {
	var b strings.Builder
	b.WriteString("^")
	r := []rune(glob)
	componentStart := true
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && !noEscape:
			if i+1 < len(r) {
				i++
				b.WriteString(quoteRune(r[i]))
			} else {
				b.WriteString(`\\`)
			}
		case c == '*':
			for i+1 < len(r) && r[i+1] == '*' {
				i++
			}
			switch {
			case componentStart && i+1 < len(r) && r[i+1] == '.':
				// "*.conf" must not match ".conf": the star takes a character.
				b.WriteString(`[^./][^/]*`)
			case componentStart:
				b.WriteString(`(?:[^./][^/]*)?`)
			default:
				b.WriteString(`[^/]*`)
			}
		case c == '?':
			if componentStart {
				b.WriteString(`[^./]`)
			} else {
				b.WriteString(`[^/]`)
			}
		case c == '[':
			j := i + 1
			if j < len(r) && (r[j] == '!' || r[j] == '^') {
				j++
			}
			if j < len(r) && r[j] == ']' {
				j++
			}
			for j < len(r) && r[j] != ']' {
				j++
			}
			if j >= len(r) {
				b.WriteString(`\[`)
				break
			}
			body := string(r[i+1 : j])
			if strings.HasPrefix(body, "!") {
				body = "^" + body[1:]
			}
			body = strings.ReplaceAll(body, `\`, `\\`)
			b.WriteString("[" + body + "]")
			i = j
		default:
			b.WriteString(quoteRune(c))
		}
		componentStart = c == '/'
	}
	b.WriteString("$")
	return b.String(), nil
}

func quoteRune(c rune) string {
	if strings.ContainsRune(`\.+*?()|[]{}^$`, c) {
		return `\` + string(c)
	}
	return string(c)
}
