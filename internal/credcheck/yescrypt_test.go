package credcheck

import "testing"

// Vectors made with libxcrypt's crypt(3) (Python's crypt module): j9T is
// the crypt(3) default (N=4096, r=32, with the pre-hash pass), j8T is
// below the pre-hash threshold, j75 is small.
var yescryptVectors = []struct{ hash, password string }{
	{"$y$j9T$abcdefghijklmnop$5MpaJ6mYQgeqLje.dQWuzmjhB.Uwp8kNmSyfdzfZPa5", "admin"},
	{"$y$j9T$abcdefghijklmnop$QzY3lMEiU4Tqswuvs54VCA9.r9a3315dMJMfRmiCxUD", "root"},
	{"$y$j9T$abcdefghijklmnop$pLCmL.WFP4llpuknjZB0lCp8KKEVl43CyXQupwneDY0", ""},
	{"$y$j8T$Fx5nkJMSvQpZmlvmx2zSt.$EWNlBWGcK517ay2CV4ZFgutnK7qxg7zzWs7mi4SHO1A", "raspberry"},
	{"$y$j75$Fx5nkJMSvQpZ$4xagDGijuF6Hem2TNUl3bGx3Zap4C37Ri8zVTjrK4J1", "x"},
	{"$y$j75$Fx5nkJMSvQpZ$jRlxHSrWm0vHBmIyFb7V.I9tbxQjCEk.fTdDFc7EIu3", "raspberry"},
}

func TestYescrypt(t *testing.T) {
	for i, v := range yescryptVectors {
		if raceEnabled && i > 0 && i < 4 {
			continue // the race detector makes each default-cost try slow
		}
		t.Run(v.hash, func(t *testing.T) {
			ok, err := verifyYescrypt(v.hash, v.password)
			if err != nil || !ok {
				t.Fatalf("verify(%q) = %v, %v", v.password, ok, err)
			}
			if raceEnabled && i == 0 {
				return
			}
			if ok, _ := verifyYescrypt(v.hash, v.password+"x"); ok {
				t.Error("wrong password verified")
			}
		})
	}
}

func BenchmarkYescrypt(b *testing.B) {
	for b.Loop() {
		verifyYescrypt(yescryptVectors[0].hash, "toor")
	}
}
