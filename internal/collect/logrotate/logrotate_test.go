package logrotate

import "testing"

func TestParse(t *testing.T) {
	c := Parse([]byte(`# global
rotate 3
"/var/log/a b.log" /var/log/c
{
	postrotate
		rotate 99
	endscript
}
/var/log/d { rotate 7
}
rotate 5
/var/log/e {
}
`), "/etc/logrotate.conf")
	if len(c.Blocks) != 3 {
		t.Fatalf("blocks %+v", c.Blocks)
	}
	b := c.Blocks[0]
	if len(b.Paths) != 2 || b.Paths[0] != "/var/log/a b.log" || b.Rotate != 3 || b.RotateLine != 2 || b.Line != 3 {
		t.Errorf("first block %+v", b)
	}
	if c.Blocks[1].Rotate != 7 || c.Blocks[2].Rotate != 5 || c.Rotate != 5 {
		t.Errorf("blocks %+v, global %d", c.Blocks, c.Rotate)
	}
	if !c.Blocks[0].Covers("/var/log/c") || c.Blocks[0].Covers("/var/log/x") {
		t.Error("Covers")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("rotate 4\n/var/log/syslog\n{\nrotate 2\npostrotate\nx\nendscript\n}\ninclude /etc/logrotate.d\n"))
	f.Add([]byte("\"/a {\n}}{{\nrotate x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Parse(b, "/f")
		for _, bl := range c.Blocks {
			_ = bl.Covers("/var/log/syslog")
		}
	})
}
