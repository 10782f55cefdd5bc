package oval

// ResultValue is an OVAL result (ResultEnumeration).
type ResultValue string

// OVAL results.
const (
	True          ResultValue = "true"
	False         ResultValue = "false"
	Error         ResultValue = "error"
	Unknown       ResultValue = "unknown"
	NotApplicable ResultValue = "not applicable"
	NotEvaluated  ResultValue = "not evaluated"
)

// Operator combines child results (OperatorEnumeration).
type Operator string

// OVAL operators.
const (
	OpAND Operator = "AND"
	OpOR  Operator = "OR"
	OpONE Operator = "ONE"
	OpXOR Operator = "XOR"
)

// Check combines results over items or values (CheckEnumeration).
type Check string

// OVAL checks.
const (
	CheckAll         Check = "all"
	CheckAtLeastOne  Check = "at least one"
	CheckNoneSatisfy Check = "none satisfy"
	CheckOnlyOne     Check = "only one"
)

// Existence is a test's check_existence (ExistenceEnumeration).
type Existence string

// OVAL existence checks.
const (
	AllExist         Existence = "all_exist"
	AnyExist         Existence = "any_exist"
	AtLeastOneExists Existence = "at_least_one_exists"
	NoneExist        Existence = "none_exist"
	OnlyOneExists    Existence = "only_one_exists"
)

func boolResult(b bool) ResultValue {
	if b {
		return True
	}
	return False
}

// negate flips true and false and keeps the rest.
func negate(r ResultValue, neg bool) ResultValue {
	if !neg {
		return r
	}
	switch r {
	case True:
		return False
	case False:
		return True
	}
	return r
}

type counts struct{ t, f, e, u, ne, na int }

func count(rs []ResultValue) counts {
	var c counts
	for _, r := range rs {
		switch r {
		case True:
			c.t++
		case False:
			c.f++
		case Error:
			c.e++
		case Unknown:
			c.u++
		case NotEvaluated:
			c.ne++
		case NotApplicable:
			c.na++
		default:
			c.e++
		}
	}
	return c
}

// worst is the precedence error > unknown > not evaluated the OVAL tables
// use when no true/false decision is reached.
func (c counts) worst(def ResultValue) ResultValue {
	switch {
	case c.e > 0:
		return Error
	case c.u > 0:
		return Unknown
	case c.ne > 0:
		return NotEvaluated
	}
	return def
}

// combineOperator applies an OVAL operator to child results as the OVAL
// 5.11 operator truth tables define; not applicable children are ignored.
func combineOperator(op Operator, rs []ResultValue) ResultValue {
	c := count(rs)
	if c.t+c.f+c.e+c.u+c.ne == 0 {
		return NotApplicable
	}
	switch op {
	case OpOR:
		if c.t > 0 {
			return True
		}
		return c.worst(False)
	case OpONE:
		if c.t > 1 {
			return False
		}
		undecided := c.e + c.u + c.ne
		if c.t == 1 && undecided == 0 {
			return True
		}
		if c.t == 0 && undecided == 0 {
			return False
		}
		return c.worst(False)
	case OpXOR:
		if c.e+c.u+c.ne > 0 {
			return c.worst(False)
		}
		return boolResult(c.t%2 == 1)
	default: // AND
		if c.f > 0 {
			return False
		}
		return c.worst(True)
	}
}

// combineCheck applies a check to item or value results.
func combineCheck(ck Check, rs []ResultValue) ResultValue {
	switch ck {
	case CheckAtLeastOne:
		if len(rs) == 0 {
			return False
		}
		return combineOperator(OpOR, rs)
	case CheckOnlyOne:
		if len(rs) == 0 {
			return False
		}
		return combineOperator(OpONE, rs)
	case CheckNoneSatisfy:
		c := count(rs)
		if c.t > 0 {
			return False
		}
		return c.worst(True)
	default:
		if len(rs) == 0 {
			return True
		}
		r := combineOperator(OpAND, rs)
		if r == NotApplicable {
			return True
		}
		return r
	}
}

// existence applies check_existence to item status counts as the OVAL 5.11
// ExistenceEnumeration table defines.
func existence(ex Existence, exists, dne, errs, nc int) ResultValue {
	switch ex {
	case AnyExist:
		if errs > 0 && exists == 0 {
			return Error
		}
		return True
	case AtLeastOneExists:
		switch {
		case exists > 0:
			return True
		case errs > 0:
			return Error
		case nc > 0:
			return Unknown
		}
		return False
	case NoneExist:
		switch {
		case exists > 0:
			return False
		case errs > 0:
			return Error
		case nc > 0:
			return Unknown
		}
		return True
	case OnlyOneExists:
		switch {
		case exists > 1:
			return False
		case errs > 0:
			return Error
		case nc > 0:
			return Unknown
		case exists == 1:
			return True
		}
		return False
	default: // all_exist
		switch {
		case dne > 0:
			return False
		case errs > 0:
			return Error
		case nc > 0:
			return Unknown
		case exists > 0:
			return True
		}
		return False
	}
}
