package catalogers

import (
	"bytes"
	"compress/zlib"
	"debug/buildinfo"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for every parser of target content: none may panic or
// run away, whatever the bytes.

func seed(f *testing.F, rel ...string) {
	for _, r := range rel {
		if b, err := os.ReadFile(filepath.Join(langs, r)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
}

func FuzzNpmLock(f *testing.F) {
	seed(f, "srv/web/package-lock.json", "srv/oldweb/package-lock.json")
	f.Add([]byte(`{"lockfileVersion":2,"packages":{"node_modules/a":{"link":true,"resolved":"node_modules/a"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) { parseNpmLock(b) })
}

func FuzzPackageJSON(f *testing.F) {
	seed(f, "srv/web/node_modules/left-pad/package.json", "srv/web/node_modules/@acme/util/package.json")
	f.Fuzz(func(t *testing.T, b []byte) { parsePackageJSON(b) })
}

func FuzzYarnLock(f *testing.F) {
	seed(f, "srv/yarn1/yarn.lock", "srv/berry/yarn.lock")
	f.Fuzz(func(t *testing.T, b []byte) { parseYarnLock(b) })
}

func FuzzPnpmLock(f *testing.F) {
	seed(f, "srv/pnpm/pnpm-lock.yaml")
	f.Add([]byte("lockfileVersion: 5.4\npackages:\n  /@s/a/1.0.0_b@2:\n    dependencies:\n      c: 1.0.0\n"))
	f.Fuzz(func(t *testing.T, b []byte) { parsePnpmLock(b) })
}

func FuzzPyMetadata(f *testing.F) {
	seed(f, "usr/lib/python3/dist-packages/tinyhttp-2.1.0.dist-info/METADATA", "usr/lib/python3/dist-packages/oldegg.egg-info/PKG-INFO")
	f.Fuzz(func(t *testing.T, b []byte) { parsePyMetadata(b) })
}

func FuzzRequirements(f *testing.F) {
	seed(f, "srv/py/requirements.txt")
	f.Fuzz(func(t *testing.T, b []byte) { parseRequirements(b) })
}

func FuzzPoetryLock(f *testing.F) {
	seed(f, "srv/py/poetry.lock")
	f.Fuzz(func(t *testing.T, b []byte) { parsePoetryLock(b) })
}

func FuzzUvLock(f *testing.F) {
	seed(f, "srv/py/uv.lock")
	f.Fuzz(func(t *testing.T, b []byte) { parseUvLock(b) })
}

func FuzzCargoLock(f *testing.F) {
	seed(f, "srv/rust/Cargo.lock")
	f.Fuzz(func(t *testing.T, b []byte) { parseCargoLock(b) })
}

func FuzzAuditData(f *testing.F) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(`{"packages":[{"name":"a","version":"1.0.0","root":true,"dependencies":[1,7,-1]},{"name":"b","version":"2.0.0"}]}`))
	zw.Close()
	f.Add(z.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) { parseAuditData(b) })
}

func FuzzGoMod(f *testing.F) {
	mod, _ := os.ReadFile(filepath.Join(langs, "srv/goapp/go.mod"))
	sum, _ := os.ReadFile(filepath.Join(langs, "srv/goapp/go.sum"))
	f.Add(mod, sum)
	f.Fuzz(func(t *testing.T, mod, sum []byte) { parseGoMod(mod, sum) })
}

// FuzzGoBuildInfo feeds arbitrary bytes to the standard library's build
// information reader and cradle's conversion of what it returns.
func FuzzGoBuildInfo(f *testing.F) {
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bi, err := buildinfo.Read(bytes.NewReader(b)); err == nil {
			goBuildPackages(bi)
		}
	})
}

func FuzzJar(f *testing.F) {
	f.Add(zipOf(f, map[string][]byte{
		"META-INF/maven/g/a/pom.properties": []byte("groupId=g\nartifactId=a\nversion=1\n"),
		"lib/x-1.0.jar":                     zipOf(f, map[string][]byte{"META-INF/MANIFEST.MF": []byte("Bundle-SymbolicName: x;singleton:=true\nBundle-Version: 1.0\n")}),
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		budget := int64(maxNestedTotal)
		readJar(bytes.NewReader(b), int64(len(b)), "x-1.0.jar", "/x-1.0.jar", 0, &budget)
		parsePomProperties(b)
		jarFallback(parseManifest(b), true, "x-1.0.jar")
	})
}

func FuzzPomLicense(f *testing.F) {
	f.Add([]byte(`<project xmlns="http://maven.apache.org/POM/4.0.0"><licenses><license><name>Apache License, Version 2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license></licenses></project>`))
	f.Add([]byte(`<!DOCTYPE p [<!ENTITY a "b">]><project><licenses><license><name>&a;</name></license></licenses></project>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pomLicense(b)
	})
}

func FuzzPipfileLock(f *testing.F) {
	seed(f, "srv/py/Pipfile.lock")
	f.Fuzz(func(t *testing.T, b []byte) { parsePipfileLock(b) })
}

func FuzzSetupPy(f *testing.F) {
	seed(f, "srv/py/setup.py")
	f.Add([]byte(`x = ['a==1', """b==2""", "c==3`))
	f.Fuzz(func(t *testing.T, b []byte) { parseSetupPy(b) })
}

func FuzzGHActions(f *testing.F) {
	seed(f, "srv/ci/.github/workflows/ci.yml", "srv/ci/.github/actions/setup/action.yml")
	f.Add([]byte("x: &a {uses: a/b@v1}\njobs: {j: {steps: [*a, *a]}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseGHActions(b, false)
		parseGHActions(b, true)
	})
}

func FuzzPdmLock(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"dev\"]\ndependencies = [\"b>=1\"]\n"))
	f.Fuzz(func(t *testing.T, b []byte) { parsePdmLock(b) })
}
