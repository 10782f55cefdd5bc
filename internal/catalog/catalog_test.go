package catalog

import "testing"

// TestManualRulesHaveNotes: a rule cradle fix cannot remediate must say
// how to remediate it (fix.notes), since cradle fix and cradle rules ID
// show those notes instead of a change.
func TestManualRulesHaveNotes(t *testing.T) {
	eng, err := Load("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range eng.Rules.Rules {
		if !r.Fixable(eng.Registry) && r.Fix.Notes == "" {
			t.Errorf("%s (%s): no native fix and no fix.notes saying how to remediate it", r.ID, r.Source)
		}
	}
}
