//go:build race

package credcheck

const raceEnabled = true
