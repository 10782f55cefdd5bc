package catalogers

import (
	"bytes"
	"strings"
	"testing"
)

func TestPomLicense(t *testing.T) {
	lic := func(ls ...string) string {
		return `<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>p</groupId></parent><licenses>` +
			strings.Join(ls, "") + `</licenses></project>`
	}
	one := func(name, url string) string {
		return "<license><name>" + name + "</name><url>" + url + "</url><distribution>repo</distribution></license>"
	}
	for _, tc := range []struct{ name, pom, want string }{
		{"apache by url", lic(one("Apache License, Version 2.0", "https://www.apache.org/licenses/LICENSE-2.0.txt")), "Apache-2.0"},
		{"apache by name", lic(one("The Apache Software License, Version 2.0", "")), "Apache-2.0"},
		{"spdx id as name", lic(one("mit", "")), "MIT"},
		{"dual", lic(one("Eclipse Public License - v 2.0", "https://www.eclipse.org/legal/epl-2.0/"), one("GNU Lesser General Public License", "https://www.gnu.org/licenses/old-licenses/lgpl-2.1.html")), "EPL-2.0 OR LGPL-2.1-only"},
		{"same twice", lic(one("Apache 2", "http://www.apache.org/licenses/LICENSE-2.0"), one("Apache-2.0", "")), "Apache-2.0"},
		{"unknown kept as written", lic(one("Bouncy  Castle\n Licence", "https://www.bouncycastle.org/licence.html")), "Bouncy Castle Licence"},
		{"unknown with known", lic(one("CDDL + GPLv2 with classpath exception", ""), one("MIT", "")), "CDDL + GPLv2 with classpath exception, MIT"},
		{"property dropped", lic(one("${license.name}", "${license.url}")), ""},
		{"url only unknown", lic(one("", "https://example.com/license")), "https://example.com/license"},
		{"none", `<project><name>x</name></project>`, ""},
		{"entity refused", `<!DOCTYPE p [<!ENTITY a "MIT">]><project><licenses><license><name>&a;</name></license></licenses></project>`, ""},
		{"not xml", "groupId=x", ""},
	} {
		if got := pomLicense([]byte(tc.pom)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestJarPomLicense: the licence of the pom.xml beside each
// pom.properties goes to that package, nested archives included.
func TestJarPomLicense(t *testing.T) {
	inner := zipOf(t, map[string][]byte{
		"META-INF/maven/org.b/b/pom.properties": []byte("groupId=org.b\nartifactId=b\nversion=2.0\n"),
		"META-INF/maven/org.b/b/pom.xml":        []byte(`<project><licenses><license><name>MIT License</name></license></licenses></project>`),
	})
	b := zipOf(t, map[string][]byte{
		"META-INF/maven/org.a/a/pom.properties": []byte("groupId=org.a\nartifactId=a\nversion=1.0\n"),
		"META-INF/maven/org.a/a/pom.xml":        []byte(`<project><licenses><license><url>http://www.apache.org/licenses/LICENSE-2.0</url></license></licenses></project>`),
		"META-INF/maven/org.c/c/pom.properties": []byte("groupId=org.c\nartifactId=c\nversion=3.0\n"),
		"BOOT-INF/lib/b-2.0.jar":                inner,
	})
	budget := int64(maxNestedTotal)
	ps, err := readJar(bytes.NewReader(b), int64(len(b)), "a-1.0.jar", "/a-1.0.jar", 0, &budget)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range ps {
		got[p.Name] = p.License
	}
	want := map[string]string{"org.a:a": "Apache-2.0", "org.c:c": "", "org.b:b": "MIT"}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: licence %q (found %v), want %q", k, g, ok, v)
		}
	}
}

// TestGoSumOnly: go.sum content hashes of modules go.mod does not
// require are reported (indirect, from go.sum); go.mod-only hashes and
// required paths at other versions are not.
func TestGoSumOnly(t *testing.T) {
	mod := []byte("module example.com/m\n\ngo 1.24\n\nrequire golang.org/x/arch v0.20.0\n")
	sum := []byte("golang.org/x/arch v0.19.0 h1:a=\ngolang.org/x/arch v0.20.0 h1:b=\n" +
		"gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405 h1:c=\ngopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405/go.mod h1:d=\n" +
		"golang.org/x/mod v0.14.0/go.mod h1:e=\n")
	ps, err := parseGoMod(mod, sum)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.PURL)
	}
	want := []string{"pkg:golang/example.com/m", "pkg:golang/golang.org/x/arch@v0.20.0", "pkg:golang/gopkg.in/check.v1@v0.0.0-20161208181325-20d25e280405"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}
