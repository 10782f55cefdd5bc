// Package integration holds end-to-end tests that scan a real Debian 12
// root filesystem (built with debootstrap by scripts/fixture-rootfs.sh),
// copies of it with scripted hardening and misconfigurations applied, the
// same trees as container images, and small static trees for other
// platforms and live-only rules. Expected statuses of every rule of every
// profile are golden files (go test ./internal/integration -update).
package integration
