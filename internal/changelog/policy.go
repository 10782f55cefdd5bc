package changelog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvRequireChangeRef set to 1/true/yes turns RequireChangeRef on (it
// cannot turn a policy file's setting off).
const EnvRequireChangeRef = "CRADLE_REQUIRE_CHANGE_REF"

// Policy is the change-control policy for appends.
type Policy struct {
	// RequireChangeRef rejects changes without a change reference (ticket).
	RequireChangeRef bool `yaml:"require_change_ref"`
}

// LoadPolicy reads the policy file at path (absent: all off; see
// home.Home.Policy) and the environment.
func LoadPolicy(path string, getenv func(string) string) (Policy, error) {
	var p Policy
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return p, fmt.Errorf("change policy: %w", err)
	case len(b) > 64<<10:
		return p, fmt.Errorf("change policy %s: larger than 64 KiB", path)
	default:
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) { // EOF: empty file
			return p, fmt.Errorf("change policy %s: %w", path, err)
		}
	}
	if getenv != nil {
		switch strings.ToLower(getenv(EnvRequireChangeRef)) {
		case "1", "true", "yes":
			p.RequireChangeRef = true
		}
	}
	return p, nil
}
