package target

import "fmt"

// OpenImage opens a container image archive read-only.
func OpenImage(path string) (Target, error) {
	return nil, fmt.Errorf("image %s: container images are not supported yet", path)
}
