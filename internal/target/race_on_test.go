//go:build race

package target

// raceEnabled: pure-Go compression is ~10x slower under the race detector,
// so tests over the full fixture tree write uncompressed layers then.
const raceEnabled = true
