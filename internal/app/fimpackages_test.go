package app

import (
	"errors"
	"testing"

	"github.com/cradle-cra/cradle/internal/fim"
)

// Files that could not be read are not a pass: when none was read,
// verify-packages must not exit 0.
func TestPackagesFailedNothingRead(t *testing.T) {
	for _, tc := range []struct {
		name            string
		hashed, missing int
		mismatched      int
		wantNil         bool
	}{
		{"all unreadable", 0, 0, 0, false},
		{"all match", 3, 0, 0, true},
		{"some mismatch", 3, 0, 1, false},
		{"all missing", 0, 2, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fim.Report{Packages: &fim.PackageCheck{Files: 3, Missing: tc.missing, Mismatched: tc.mismatched}}
			r.Summary.Hashed = tc.hashed
			err := PackagesFailed(r)
			if (err == nil) != tc.wantNil {
				t.Fatalf("PackagesFailed = %v, want nil %v", err, tc.wantNil)
			}
			if tc.name == "all unreadable" {
				var ae *Error
				if !errors.As(err, &ae) || ae.Class != Usage {
					t.Fatalf("class of %v: want Usage (exit 2)", err)
				}
			}
		})
	}
}
