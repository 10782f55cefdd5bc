//go:build !unix

package fim

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
