package oval

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// Datatype is an OVAL simple datatype (SimpleDatatypeEnumeration).
type Datatype string

// OVAL datatypes the engine compares.
const (
	String          Datatype = "string"
	Int             Datatype = "int"
	Float           Datatype = "float"
	Boolean         Datatype = "boolean"
	Version         Datatype = "version"
	EVRString       Datatype = "evr_string"
	DebianEVRString Datatype = "debian_evr_string"
	Binary          Datatype = "binary"
	IPv4Address     Datatype = "ipv4_address"
	IPv6Address     Datatype = "ipv6_address"
	Record          Datatype = "record"
)

// Operation is an entity operation (OperationEnumeration).
type Operation string

// OVAL operations.
const (
	Equals                  Operation = "equals"
	NotEqual                Operation = "not equal"
	CaseInsensitiveEquals   Operation = "case insensitive equals"
	CaseInsensitiveNotEqual Operation = "case insensitive not equal"
	GreaterThan             Operation = "greater than"
	LessThan                Operation = "less than"
	GreaterThanOrEqual      Operation = "greater than or equal"
	LessThanOrEqual         Operation = "less than or equal"
	BitwiseAnd              Operation = "bitwise and"
	BitwiseOr               Operation = "bitwise or"
	PatternMatch            Operation = "pattern match"
	SubsetOf                Operation = "subset of"
	SupersetOf              Operation = "superset of"
)

// MatchEntity compares a collected value (got) with an object or state
// value (want) under op and datatype, as OVAL 5.11 defines: ordered
// operations ask whether got is greater/less than want; bitwise and holds
// when every bit of want is set in got, bitwise or when got sets no bit
// outside want; pattern match treats want as a Perl-style regular expression.
func MatchEntity(op Operation, dt Datatype, want, got string) (bool, error) {
	if op == "" {
		op = Equals
	}
	if dt == "" {
		dt = String
	}
	if op == PatternMatch {
		re, err := CompileRegex(want)
		if err != nil {
			return false, err
		}
		return re.MatchString(got)
	}
	switch dt {
	case String:
		return matchString(op, want, got)
	case Binary:
		return matchString(caseless(op), strings.TrimSpace(want), strings.TrimSpace(got))
	case Boolean:
		w, err := parseBool(want)
		if err != nil {
			return false, err
		}
		g, err := parseBool(got)
		if err != nil {
			return false, err
		}
		return eqOnly(op, dt, w == g)
	case Int:
		return matchInt(op, want, got)
	case Float:
		w, err := strconv.ParseFloat(strings.TrimSpace(want), 64)
		if err != nil {
			return false, fmt.Errorf("float %q: %w", want, err)
		}
		g, err := strconv.ParseFloat(strings.TrimSpace(got), 64)
		if err != nil {
			return false, fmt.Errorf("float %q: %w", got, err)
		}
		return ordered(op, dt, cmpFloat(g, w))
	case Version:
		return ordered(op, dt, compareVersion(got, want))
	case EVRString:
		c, err := version.RPM(got, want)
		if err != nil {
			return false, fmt.Errorf("evr_string: %w", err)
		}
		return ordered(op, dt, c)
	case DebianEVRString:
		c, err := version.Dpkg(got, want)
		if err != nil {
			return false, fmt.Errorf("debian_evr_string: %w", err)
		}
		return ordered(op, dt, c)
	case IPv4Address, IPv6Address:
		return matchIP(op, dt, want, got)
	}
	return false, fmt.Errorf("datatype %q is not supported", dt)
}

func caseless(op Operation) Operation {
	switch op {
	case Equals:
		return CaseInsensitiveEquals
	case NotEqual:
		return CaseInsensitiveNotEqual
	}
	return op
}

func matchString(op Operation, want, got string) (bool, error) {
	switch op {
	case Equals:
		return got == want, nil
	case NotEqual:
		return got != want, nil
	case CaseInsensitiveEquals:
		return strings.EqualFold(got, want), nil
	case CaseInsensitiveNotEqual:
		return !strings.EqualFold(got, want), nil
	}
	return false, fmt.Errorf("operation %q is not valid for string", op)
}

func eqOnly(op Operation, dt Datatype, eq bool) (bool, error) {
	switch op {
	case Equals:
		return eq, nil
	case NotEqual:
		return !eq, nil
	}
	return false, fmt.Errorf("operation %q is not valid for %s", op, dt)
}

func ordered(op Operation, dt Datatype, c int) (bool, error) {
	switch op {
	case Equals:
		return c == 0, nil
	case NotEqual:
		return c != 0, nil
	case GreaterThan:
		return c > 0, nil
	case LessThan:
		return c < 0, nil
	case GreaterThanOrEqual:
		return c >= 0, nil
	case LessThanOrEqual:
		return c <= 0, nil
	}
	return false, fmt.Errorf("operation %q is not valid for %s", op, dt)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("boolean %q: want true, false, 1 or 0", s)
}

// parseInt reads an OVAL int; big.Int keeps values beyond 64 bits exact.
func parseInt(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	if !ok || len(s) > 4096 {
		return nil, fmt.Errorf("int %q is not a decimal integer", s)
	}
	return n, nil
}

func matchInt(op Operation, want, got string) (bool, error) {
	w, err := parseInt(want)
	if err != nil {
		return false, err
	}
	g, err := parseInt(got)
	if err != nil {
		return false, err
	}
	switch op {
	case BitwiseAnd:
		return new(big.Int).And(w, g).Cmp(w) == 0, nil
	case BitwiseOr:
		return new(big.Int).Or(w, g).Cmp(w) == 0, nil
	}
	return ordered(op, Int, g.Cmp(w))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareVersion orders OVAL "version" values: components split at any
// non-alphanumeric character, compared numerically when both are numbers,
// missing trailing components counting as zero.
func compareVersion(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := cmpComponent(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func versionParts(s string) []string {
	return strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

func cmpComponent(x, y string) int {
	xn, xe := parseInt(x)
	yn, ye := parseInt(y)
	if xe == nil && ye == nil {
		return xn.Cmp(yn)
	}
	return strings.Compare(x, y)
}

func matchIP(op Operation, dt Datatype, want, got string) (bool, error) {
	w, err := parsePrefix(want)
	if err != nil {
		return false, err
	}
	g, err := parsePrefix(got)
	if err != nil {
		return false, err
	}
	if w.Addr().Is4() != g.Addr().Is4() {
		return false, fmt.Errorf("%s: %q and %q are different address families", dt, want, got)
	}
	switch op {
	case SubsetOf: // got's network lies inside want's
		return w.Bits() <= g.Bits() && w.Contains(g.Addr()), nil
	case SupersetOf:
		return g.Bits() <= w.Bits() && g.Contains(w.Addr()), nil
	}
	c := g.Masked().Addr().Compare(w.Masked().Addr())
	if c == 0 && op != Equals && op != NotEqual {
		c = cmpInt(g.Bits(), w.Bits())
	}
	if op == Equals || op == NotEqual {
		eq := g.Masked() == w.Masked()
		return eqOnly(op, dt, eq)
	}
	return ordered(op, dt, c)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
