package impact

import (
	"testing"
)

func FuzzParseNetTables(f *testing.F) {
	f.Add([]byte("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"))
	f.Add([]byte("00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003 eth0\n"))
	f.Add([]byte("20010db8000000000000000000000001 02 40 00 00 eth0\nfe800000000000000000000000000001 02 40 20 80 eth0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range append(ParseRoutes(b), ParseRoutes6(b)...) {
			if r.Iface == "" {
				t.Fatalf("route %+v", r)
			}
		}
		for _, a := range ParseIfInet6(b) {
			if a.Iface == "" || a.Addr == "" {
				t.Fatalf("address %+v", a)
			}
		}
		if name, unit := parseDBusService(b); len(name) > len(b) || len(unit) > len(b) {
			t.Fatalf("%q %q", name, unit)
		}
	})
}
