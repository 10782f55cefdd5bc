package limits

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	in := "# /etc/security/limits.conf\n#*               soft    core            0\n*\thard\tcore\t0\n@student        -       maxlogins       4 # comment\nftp hard nproc\nroot soft bogus 1\nalice  weird core 1\n"
	want := []Entry{
		{Domain: "*", Type: "hard", Item: "core", Value: "0", File: "/f", Line: 3},
		{Domain: "@student", Type: "-", Item: "maxlogins", Value: "4", File: "/f", Line: 4},
		{Domain: "root", Type: "soft", Item: "bogus", Value: "1", File: "/f", Line: 6},
	}
	if got := Parse([]byte(in), "/f"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("* hard core 0\n@g - nofile 1024\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range Parse(b, "/f") {
			if e.Domain == "" || e.Item == "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
