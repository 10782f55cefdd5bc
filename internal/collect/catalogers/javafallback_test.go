package catalogers

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
	}{
		{"crlf and continuation", "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.exam\r\n ple.lib;singleton:=true\r\nBundle-Version: 2.1\r\n",
			map[string]string{"Manifest-Version": "1.0", "Bundle-SymbolicName": "com.example.lib;singleton:=true", "Bundle-Version": "2.1"}},
		{"lone CR line ends", "A: 1\rB: 2\r", map[string]string{"A": "1", "B": "2"}},
		{"main section only", "A: 1\n\nName: x/y\nA: 2\n", map[string]string{"A": "1"}},
		{"junk line breaks a continuation", "A: 1\njunk\n more\nB: 2\n", map[string]string{"A": "1", "B": "2"}},
		{"empty", "", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseManifest([]byte(tc.in))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
	// Bounded: a manifest past maxManifest is read up to it.
	big := "A: 1\nB: " + strings.Repeat("x", maxManifest) + "\n"
	if got := parseManifest([]byte(big)); got["A"] != "1" || len(got["B"]) >= maxManifest {
		t.Errorf("oversized manifest: A=%q, len(B)=%d", got["A"], len(got["B"]))
	}
}

// TestJarFallback: archives whose own Maven metadata is missing are named
// by file name and manifest; pom.properties of shaded libraries do not
// stand for the archive.
func TestJarFallback(t *testing.T) {
	pom := func(g, a, v string) []byte {
		return []byte("groupId=" + g + "\nartifactId=" + a + "\nversion=" + v + "\n")
	}
	for _, tc := range []struct {
		name  string
		file  string
		files map[string][]byte
		want  []string // purls, in order
	}{
		{"debian renamed jar with its own pom", "maven3-core.jar", map[string][]byte{
			"META-INF/MANIFEST.MF": []byte("Implementation-Title: Maven Core\nImplementation-Version: 3.8.7\n"),
			"META-INF/maven/org.apache.maven/maven-core/pom.properties": pom("org.apache.maven", "maven-core", "3.8.7"),
		}, []string{"pkg:maven/org.apache.maven/maven-core@3.8.7"}},
		{"shaded library only", "guice.jar", map[string][]byte{
			"META-INF/MANIFEST.MF":                      []byte("Bundle-SymbolicName: com.google.inject\nBundle-Version: 4.2.3\n"),
			"META-INF/maven/cglib/cglib/pom.properties": pom("cglib", "cglib", "3.2.12"),
		}, []string{"pkg:maven/cglib/cglib@3.2.12", "pkg:maven/guice@4.2.3"}},
		{"shaded jar named after its pom", "wagon-http-shaded-3.5.3.jar", map[string][]byte{
			"META-INF/maven/commons-codec/commons-codec/pom.properties":       pom("commons-codec", "commons-codec", "1.15"),
			"META-INF/maven/org.apache.maven.wagon/wagon-http/pom.properties": pom("org.apache.maven.wagon", "wagon-http", "3.5.3"),
		}, []string{"pkg:maven/commons-codec/commons-codec@1.15", "pkg:maven/org.apache.maven.wagon/wagon-http@3.5.3"}},
		{"spec jar: underscores in the artifact, 1.3 = 1.3.0", "geronimo-annotation-1.3-spec.jar", map[string][]byte{
			"META-INF/MANIFEST.MF": []byte("Bundle-Version: 1.3.0\n"),
			"META-INF/maven/org.apache.geronimo.specs/geronimo-annotation_1.3_spec/pom.properties": pom("org.apache.geronimo.specs", "geronimo-annotation_1.3_spec", "1.3"),
		}, []string{"pkg:maven/org.apache.geronimo.specs/geronimo-annotation_1.3_spec@1.3"}},
		{"renamed, version 1.3 = 1.3.0", "spec.jar", map[string][]byte{
			"META-INF/MANIFEST.MF":                      []byte("Bundle-Version: 1.3.0\n"),
			"META-INF/maven/g/other/pom.properties":     pom("g", "other", "9"),
			"META-INF/maven/g/thing-api/pom.properties": pom("g", "thing-api", "1.3"),
		}, []string{"pkg:maven/g/other@9", "pkg:maven/g/thing-api@1.3"}},
		{"version from the manifest", "jrt-fs.jar", map[string][]byte{
			"META-INF/MANIFEST.MF": []byte("Implementation-Title: Java Runtime Environment\r\nSpecification-Version: 17\r\nImplementation-Version: 17.0.15\r\n"),
		}, []string{"pkg:maven/jrt-fs@17.0.15"}},
		{"file name version wins, debian tilde", "jsr305-0.1~+svn49.jar", map[string][]byte{
			"META-INF/MANIFEST.MF": []byte("Implementation-Version: 9\n"),
		}, []string{"pkg:maven/jsr305@0.1~%2Bsvn49"}},
		{"no version anywhere", "gettext.jar", map[string][]byte{
			"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\nCreated-By: 17.0.6 (Debian)\n"),
		}, []string{"pkg:maven/gettext"}},
		{"no manifest, no version: not a library", "resources.jar", map[string][]byte{
			"a.txt": []byte("x"),
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := zipOf(t, tc.files)
			budget := int64(maxNestedTotal)
			ps, err := readJar(bytes.NewReader(b), int64(len(b)), tc.file, "/"+tc.file, 0, &budget)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.PURL)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nBundle-SymbolicName: a\r\n .b\r\n\r\nName: c\r\n"))
	f.Add([]byte("A: 1\rB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseManifest(b)
		if len(m) > 1000 {
			t.Fatalf("%d attributes", len(m))
		}
		jarFallback(m, true, "x.jar")
	})
}
