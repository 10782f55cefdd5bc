package oval

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary XML to the reader and evaluates whatever parses,
// with no probes, under tight limits: neither may panic or run away.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/basic.xml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`<oval_definitions><definitions><definition id="d" class="compliance"><criteria><extend_definition definition_ref="d"/></criteria></definition></definitions></oval_definitions>`))
	f.Add([]byte(`<oval_definitions><variables><local_variable id="v"><concat><variable_component var_ref="v"/></concat></local_variable></variables></oval_definitions>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseWithLimits(bytes.NewReader(data), ParseLimits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		ev := NewEvaluator(doc, Env{Limits: Limits{MaxItems: 100, MaxValues: 100, MaxDepth: 16, MaxCollects: 100}})
		for _, id := range doc.DefinitionIDs {
			if _, err := ev.Definition(ctx, id); err != nil {
				return
			}
		}
		for id := range doc.Variables {
			_, _ = ev.variable(ctx, id, 0)
		}
	})
}
