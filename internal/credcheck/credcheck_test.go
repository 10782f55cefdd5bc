package credcheck

import (
	"context"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Test hashes made with `openssl passwd`; the passwords are in the names.
const (
	sha512Root       = "$6$cradlesalt$ahwOiTsFLszZj1OVyuuRpOJFoSyV4EiM6Bf2YTdOvkxih15GqeWMmXy13un3abKRckgZxL6pCFpIA4DsWq3gk0"
	sha256Admin      = "$5$cradlesalt$tLznc5cNGAqyAFItpaj1M7QfekMdWTQBA674cO7v6U/"
	md5Changeme      = "$1$cradle$y2EY4p5qZWGIv9zsaf0Ln0"
	sha512Strong     = "$6$othersalt$qkso7/TTQ7yhzWk0XNkpS1p1kMKs3e73.0j2RqgNgSYN6HpGC8CgZgY9ggwJqPec6j17go2QNRYaE.k6Dam.r1"             // Not-A-Default-9
	md5Strong        = "$1$strongsl$ZxuOrEGoAyitGjZLKP7CR1"                                                                              // Not-A-Default-9, cheap to exhaust
	sha512R10kPi     = "$6$rounds=10000$abc$ad.8lOtbFBerk78AF4sBUJMBfI30iDt9gpVN1jn01cipgLcq8vQgMhMZ6A8gxwYljSL1EmM8zAqsYYgd3zlFM0"      // raspberry
	sha512R20kStrong = "$6$rounds=20000$loadsalt$xY9Fah/Icms80Aq04pSaDFzFhyCsA6v1/0ZZlC545kvrxcWWSxgCQQn3oN1mNJYQFzN.udjmGqqnt2XRUtXRD." // Not-A-Default-9, costly
	yescryptDummy    = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"
	scryptDummy      = "$7$CU..../....2dVdM/R3sXI7Sx9ZOgsVS1$Ukp07Kf/k6U3ZmCQ1sYM8NlA7t1tK1BA2eBJi1vyMHA"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		field  string
		scheme Scheme
		empty  bool
		locked bool
		usable bool
	}{
		{"", SchemeNone, true, false, false},
		{"*", SchemeNone, false, true, false},
		{"!", SchemeNone, false, true, false},
		{"!*", SchemeNone, false, true, false},
		{"!!", SchemeNone, false, true, false},
		{"!" + sha512Root, SchemeSHA512Crypt, false, true, false},
		{sha512Root, SchemeSHA512Crypt, false, false, true},
		{sha256Admin, SchemeSHA256Crypt, false, false, true},
		{md5Changeme, SchemeMD5Crypt, false, false, true},
		{yescryptDummy, SchemeYescrypt, false, false, true},
		{"$2b$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01", SchemeBcrypt, false, false, true},
		{"abcdefghijklm", SchemeDES, false, false, true},
		{"x", SchemeUnknown, false, false, false},
		{"$9$whatever", SchemeUnknown, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			got := Classify(tt.field)
			if got.Scheme != tt.scheme || got.Empty != tt.empty || got.Locked != tt.locked || got.Usable != tt.usable {
				t.Errorf("Classify(%q) = %+v", tt.field, got)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("ubnt"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"sha512 match", sha512Root, "root", true},
		{"sha512 mismatch", sha512Root, "toor", false},
		{"sha256 match", sha256Admin, "admin", true},
		{"md5 match", md5Changeme, "changeme", true},
		{"md5 mismatch", md5Changeme, "changeme1", false},
		{"rounds match", sha512R10kPi, "raspberry", true},
		{"bcrypt match", string(bc), "ubnt", true},
		{"bcrypt mismatch", string(bc), "admin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(tt.hash, tt.pw)
			if err != nil || got != tt.want {
				t.Errorf("Verify = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := Verify(scryptDummy, "x"); err == nil {
		t.Error("scrypt verified without a verifier")
	}
}

func TestCheckCost(t *testing.T) {
	if err := CheckCost(sha512R10kPi, Limits{MaxSHARounds: 5000}); err == nil || !strings.Contains(err.Error(), "rounds 10000") {
		t.Errorf("rounds cap not applied: %v", err)
	}
	if err := CheckCost(sha512R10kPi, DefaultLimits); err != nil {
		t.Error(err)
	}
	if err := CheckCost(scryptDummy, DefaultLimits); err == nil {
		t.Error("scrypt accepted")
	}
	if err := CheckCost(yescryptVectors[0].hash, DefaultLimits); err != nil {
		t.Errorf("default yescrypt refused: %v", err)
	}
	if err := CheckCost("$y$jFT$abcdefghijklmnop$5MpaJ6mYQgeqLje.dQWuzmjhB.Uwp8kNmSyfdzfZPa5", DefaultLimits); err == nil {
		t.Error("yescrypt with N=2^16 accepted")
	}
	hi := "$2b$15$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
	if err := CheckCost(hi, DefaultLimits); err == nil {
		t.Error("bcrypt cost 15 accepted")
	}
}

func TestDefaultPasswords(t *testing.T) {
	l := DefaultPasswords()
	if len(l) < 40 || len(l) > 64 {
		t.Fatalf("%d core passwords: the core list stays between 40 and 64 so a default-cost yescrypt account takes about 2 s of CPU", len(l))
	}
	if n := len(ExtendedPasswords()); n < 200 {
		t.Fatalf("only %d extended passwords", n)
	}
	for _, p := range ExtendedPasswords() {
		if slices.Contains(l, p) {
			t.Errorf("%q is in both lists", p)
		}
	}
	for _, want := range []string{"admin", "root", "raspberry", "ubnt", "toor", "changeme"} {
		found := false
		for _, p := range l {
			found = found || p == want
		}
		if !found {
			t.Errorf("%q missing", want)
		}
	}
	for _, full := range []bool{false, true} {
		c := Candidates("oracle", []string{"s3cr3t-vendor"}, full)
		if c[0] != "s3cr3t-vendor" || c[1] != "oracle" || c[len(c)-1] != "elcaro" {
			t.Errorf("candidate order: %v ... %v", c[:3], c[len(c)-1])
		}
		if want := len(l) + 2; full == (len(c) <= want) {
			t.Errorf("full=%v: %d candidates", full, len(c))
		}
	}
}

func TestCheck(t *testing.T) {
	accts := []Account{
		{"root", sha512Root},
		{"operator", sha256Admin},
		{"alice", md5Strong},
		{"bob", scryptDummy},
		{"pi", sha512R10kPi},
		{"pi2", yescryptVectors[5].hash},
	}
	v := Check(context.Background(), accts, Options{})
	want := []Status{Matched, Matched, NoMatch, Skipped, Matched, Matched}
	for i, w := range want {
		if v[i].Status != w {
			t.Errorf("%s: status %v (%s), want %v", v[i].Name, v[i].Status, v[i].Reason, w)
		}
	}
	if v[0].Matched != "root" || v[1].Matched != "admin" || v[4].Matched != "raspberry" || v[5].Matched != "raspberry" {
		t.Errorf("matched passwords wrong")
	}
	if v[2].Tried != v[2].Total || v[2].Total < 250 {
		t.Errorf("alice tried %d of %d", v[2].Tried, v[2].Total)
	}
	if v[3].Scheme != SchemeScrypt || !strings.Contains(v[3].Reason, "scrypt") {
		t.Errorf("bob: %+v", v[3])
	}
}

func TestCost(t *testing.T) {
	for _, tt := range []struct {
		hash  string
		units int64
		cheap bool
	}{
		{md5Strong, 1, true},
		{sha512Root, 1, true},
		{sha512R10kPi, 2, true},
		{"$6$rounds=50000$abc$x", 10, false},
		{yescryptVectors[0].hash, 20, false},
		{yescryptVectors[4].hash, 1, true},
	} {
		if got := Cost(tt.hash); got != tt.units || Cheap(tt.hash) != tt.cheap {
			t.Errorf("Cost(%.12s) = %d (cheap %v), want %d (%v)", tt.hash, got, Cheap(tt.hash), tt.units, tt.cheap)
		}
	}
}

func TestCheckWorkCap(t *testing.T) {
	// Counted, not timed: the same accounts are skipped on every machine.
	n := int64(len(Candidates("ab", nil, true)))
	accts := []Account{{"ab", md5Strong}, {"bc", sha512R10kPi}, {"cd", md5Changeme}}
	v := Check(context.Background(), accts, Options{MaxWork: 2 * n, Workers: 1})
	if v[0].Status != NoMatch || v[1].Status != Skipped || !strings.Contains(v[1].Reason, "work cap") || v[2].Status != Matched {
		t.Errorf("work cap: %+v", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v = Check(ctx, []Account{{"alice", md5Strong}}, Options{Workers: 1})
	if v[0].Status != Skipped || v[0].Reason != "cancelled" {
		t.Errorf("cancelled: %+v", v[0])
	}
}

// TestCheckUnderLoad runs the check with every CPU kept busy by spinning
// goroutines and requires the same verdicts on every run: nothing in a
// verdict may depend on how fast the machine is at the moment.
func TestCheckUnderLoad(t *testing.T) {
	accts := []Account{
		{"root", sha512Root},               // matched (its own name)
		{"alice", md5Strong},               // no match, full lists
		{"pi", sha512R10kPi},               // matched late in the core list
		{"bob", scryptDummy},               // not testable
		{"dev", yescryptVectors[4].hash},   // small yescrypt, no match
		{"admin", yescryptVectors[5].hash}, // small yescrypt, matched
	}
	// A costly hash (20000 rounds): the core list only.
	accts = append(accts, Account{"svc", sha512R20kStrong})
	stop := make(chan struct{})
	var spin sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		spin.Go(func() {
			x := uint64(1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for range 1 << 16 {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
		})
	}
	defer func() { close(stop); spin.Wait() }()
	var first []Verdict
	for run := range 3 {
		v := Check(context.Background(), accts, Options{})
		for i := range v {
			if v[i].Status == Matched {
				v[i].Tried = 0 // how many tries a parallel match took varies; the verdict does not
			}
		}
		if run == 0 {
			first = v
			for _, x := range v {
				if x.Status == NoMatch && x.Tried != x.Total {
					t.Errorf("%s: no match after %d of %d", x.Name, x.Tried, x.Total)
				}
			}
			continue
		}
		if !reflect.DeepEqual(v, first) {
			t.Fatalf("run %d differs:\n%+v\nfirst:\n%+v", run, v, first)
		}
	}
	want := []Status{Matched, NoMatch, Matched, Skipped, NoMatch, Matched, NoMatch}
	if n := len(DefaultPasswords()) + 2; first[6].Total != n {
		t.Errorf("svc: %d candidates, want the core list and two name variants (%d)", first[6].Total, n)
	}
	for i := range first {
		if first[i].Status != want[i] {
			t.Errorf("%s: %v (%s), want %v", first[i].Name, first[i].Status, first[i].Reason, want[i])
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("admin"); got != "a****" {
		t.Errorf("Mask = %q", got)
	}
	if Mask("") != "" {
		t.Error("empty")
	}
}

func FuzzVerify(f *testing.F) {
	for _, h := range []string{sha512Root, sha256Admin, md5Changeme, sha512R10kPi, "$6$rounds=$x$", "$5$", "$1$$", "$2b$04$short",
		yescryptVectors[4].hash, "$y$j75$$4xagDGijuF6Hem2TNUl3bGx3Zap4C37Ri8zVTjrK4J1", "$y$/75/$ab$4xagDGijuF6Hem2TNUl3bGx3Zap4C37Ri8zVTjrK4J1"} {
		f.Add(h, "root")
	}
	f.Fuzz(func(t *testing.T, hash, pw string) {
		Classify(hash)
		if CheckCost(hash, Limits{MaxSHARounds: 5000, MaxBcryptCost: 6, MaxYescryptMemory: 1 << 20}) != nil {
			return
		}
		Verify(hash, pw)
	})
}

func BenchmarkVerifySHA512(b *testing.B) {
	for b.Loop() {
		Verify(sha512Root, "toor")
	}
}
