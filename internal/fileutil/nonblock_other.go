//go:build !unix

package fileutil

// Windows has no FIFOs in the file namespace to block on.
const openNonblock = 0
