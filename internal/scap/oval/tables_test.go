package oval

import "testing"

func rs(s string) []ResultValue {
	m := map[byte]ResultValue{'T': True, 'F': False, 'E': Error, 'U': Unknown, 'N': NotEvaluated, 'A': NotApplicable}
	var out []ResultValue
	for i := 0; i < len(s); i++ {
		out = append(out, m[s[i]])
	}
	return out
}

// Rows follow the OVAL 5.11 operator truth tables (T true, F false,
// E error, U unknown, N not evaluated, A not applicable).
func TestOperatorTables(t *testing.T) {
	for _, tc := range []struct {
		op   Operator
		in   string
		want ResultValue
	}{
		{OpAND, "TT", True}, {OpAND, "TF", False}, {OpAND, "TFE", False}, {OpAND, "TE", Error},
		{OpAND, "TEU", Error}, {OpAND, "TU", Unknown}, {OpAND, "TN", NotEvaluated}, {OpAND, "TA", True},
		{OpAND, "AA", NotApplicable}, {OpAND, "", NotApplicable},
		{OpOR, "FF", False}, {OpOR, "FT", True}, {OpOR, "ETU", True}, {OpOR, "FE", Error}, {OpOR, "FU", Unknown},
		{OpOR, "FN", NotEvaluated}, {OpOR, "FA", False},
		{OpONE, "TF", True}, {OpONE, "TT", False}, {OpONE, "TTE", False}, {OpONE, "FF", False}, {OpONE, "TE", Error},
		{OpONE, "FE", Error}, {OpONE, "FU", Unknown}, {OpONE, "TFA", True},
		{OpXOR, "TF", True}, {OpXOR, "TT", False}, {OpXOR, "TTT", True}, {OpXOR, "TE", Error}, {OpXOR, "TU", Unknown},
		{OpXOR, "FF", False},
	} {
		if got := combineOperator(tc.op, rs(tc.in)); got != tc.want {
			t.Errorf("%s(%s) = %s, want %s", tc.op, tc.in, got, tc.want)
		}
	}
}

func TestCheckTables(t *testing.T) {
	for _, tc := range []struct {
		ck   Check
		in   string
		want ResultValue
	}{
		{CheckAll, "TT", True}, {CheckAll, "TF", False}, {CheckAll, "TE", Error}, {CheckAll, "", True},
		{CheckAtLeastOne, "FT", True}, {CheckAtLeastOne, "FF", False}, {CheckAtLeastOne, "FU", Unknown}, {CheckAtLeastOne, "", False},
		{CheckOnlyOne, "TF", True}, {CheckOnlyOne, "TT", False}, {CheckOnlyOne, "", False},
		{CheckNoneSatisfy, "FF", True}, {CheckNoneSatisfy, "FT", False}, {CheckNoneSatisfy, "FE", Error}, {CheckNoneSatisfy, "", True},
		{CheckNoneSatisfy, "TE", False},
	} {
		if got := combineCheck(tc.ck, rs(tc.in)); got != tc.want {
			t.Errorf("%s(%s) = %s, want %s", tc.ck, tc.in, got, tc.want)
		}
	}
}

// Rows follow the OVAL 5.11 ExistenceEnumeration table: counts of items
// that exist, do not exist, have an error, were not collected.
func TestExistenceTable(t *testing.T) {
	for _, tc := range []struct {
		ex               Existence
		ex1, dne, er, nc int
		want             ResultValue
	}{
		{AllExist, 1, 0, 0, 0, True}, {AllExist, 0, 0, 0, 0, False}, {AllExist, 2, 1, 0, 0, False},
		{AllExist, 1, 0, 1, 0, Error}, {AllExist, 1, 0, 0, 1, Unknown},
		{AnyExist, 0, 0, 0, 0, True}, {AnyExist, 3, 2, 0, 1, True}, {AnyExist, 1, 0, 1, 0, True}, {AnyExist, 0, 1, 1, 0, Error},
		{AtLeastOneExists, 1, 3, 1, 1, True}, {AtLeastOneExists, 0, 1, 0, 0, False}, {AtLeastOneExists, 0, 0, 1, 0, Error},
		{AtLeastOneExists, 0, 0, 0, 1, Unknown}, {AtLeastOneExists, 0, 0, 0, 0, False},
		{NoneExist, 0, 0, 0, 0, True}, {NoneExist, 0, 2, 0, 0, True}, {NoneExist, 1, 0, 0, 0, False},
		{NoneExist, 0, 0, 1, 0, Error}, {NoneExist, 0, 0, 0, 1, Unknown},
		{OnlyOneExists, 1, 4, 0, 0, True}, {OnlyOneExists, 2, 0, 0, 0, False}, {OnlyOneExists, 0, 0, 0, 0, False},
		{OnlyOneExists, 1, 0, 1, 0, Error}, {OnlyOneExists, 0, 0, 0, 1, Unknown},
	} {
		if got := existence(tc.ex, tc.ex1, tc.dne, tc.er, tc.nc); got != tc.want {
			t.Errorf("%s(%d,%d,%d,%d) = %s, want %s", tc.ex, tc.ex1, tc.dne, tc.er, tc.nc, got, tc.want)
		}
	}
}

func TestNegate(t *testing.T) {
	for in, want := range map[ResultValue]ResultValue{True: False, False: True, Error: Error, Unknown: Unknown, NotApplicable: NotApplicable} {
		if got := negate(in, true); got != want {
			t.Errorf("negate(%s) = %s", in, got)
		}
	}
}
