package xccdf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap"
)

// stdBenchmark decodes a benchmark with encoding/xml through the struct
// tags of model.go: the reference benchmarkFrom must agree with.
func stdBenchmark(t *testing.T, data []byte) *Benchmark {
	t.Helper()
	var b Benchmark
	if err := scap.Decode(data, &b); err != nil {
		t.Fatal(err)
	}
	var prune func(items []*Item) []*Item
	prune = func(items []*Item) []*Item {
		var out []*Item
		for _, it := range items {
			if it.Kind() != "" {
				it.Children = prune(it.Children)
				out = append(out, it)
			}
		}
		return out
	}
	for _, it := range b.Items {
		it.Children = prune(it.Children)
	}
	return &b
}

func sameBenchmark(t *testing.T, name string, data []byte) {
	t.Helper()
	want := stdBenchmark(t, data)
	root, err := scap.ParseTree(data, scap.TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := benchmarkFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != len(want.Items) {
		t.Fatalf("%s: %d items, want %d", name, len(got.Items), len(want.Items))
	}
	for i := range got.Items {
		if !reflect.DeepEqual(got.Items[i], want.Items[i]) {
			t.Errorf("%s: item %d (%s) differs:\n got %+v\nwant %+v", name, i, want.Items[i].ID, got.Items[i], want.Items[i])
			return
		}
	}
	got.Items, want.Items = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: benchmark differs:\n got %+v\nwant %+v", name, got, want)
	}
}

func benchmarkBytes(t *testing.T, path string) []byte {
	t.Helper()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Checklists()[0]
	comp, err := c.Collection.Resolve(cl.Ref)
	if err != nil {
		t.Fatal(err)
	}
	return comp.Standalone()
}

func TestBenchmarkFromAgreesWithStructTags(t *testing.T) {
	sameBenchmark(t, "testdata/ds.xml", benchmarkBytes(t, "testdata/ds.xml"))
	sameBenchmark(t, "text and booleans", []byte(`<Benchmark xmlns="`+NS+`" xmlns:h="http://www.w3.org/1999/xhtml" id="b">
<title xml:lang="en">A <h:b>bold</h:b> <h:br/>title<h:p>para</h:p>end</title><version>1</version>
<Group id="g"><Rule id="r" selected="false"><ident system="s"> CCE-1 <h:i>x</h:i> more</ident>
<check system="sys" negate="1" multi-check=""><check-content-ref href="h" name="n"/></check>
<complex-check operator="OR" negate="true"><check system="a"/><complex-check operator="AND"/></complex-check>
<warning>w<Rule id="hidden"/></warning></Rule></Group></Benchmark>`))
	dir := os.Getenv("CRADLE_TEST_SCAP")
	if dir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*/root/usr/share/xml/scap/ssg/content/ssg-debian1[12]-ds.xml"))
	for _, f := range files {
		sameBenchmark(t, f, benchmarkBytes(t, f))
	}
}

func TestBenchmarkFromRefusesBadBoolean(t *testing.T) {
	_, err := parseBenchmark([]byte(`<Benchmark xmlns="`+NS+`" id="b"><Rule id="r"><check negate="yes"/></Rule></Benchmark>`), nil)
	if err == nil {
		t.Fatal("negate=\"yes\" accepted")
	}
}
