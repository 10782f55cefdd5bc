package vuln

import (
	"bytes"
	"testing"
)

func FuzzReadCycloneDX(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"name":"a","purl":"pkg:deb/debian/a@1%3A2.0-1?epoch=1&distro=debian-12","components":[{"purl":"pkg:golang/stdlib@go1.22.1"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { ReadCycloneDX(bytes.NewReader(data)) })
}

func FuzzFromPURL(f *testing.F) {
	for _, s := range []string{"pkg:maven/org.apache/log4j-core@2.14.1", "pkg:npm/%40scope/name@1.0.0", "pkg:rpm/redhat/openssl@3.0.7-1.el9?epoch=1&distro=redhat-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		FromPURL(s)
		PURLKey(s)
	})
}

func FuzzReadSBOM(f *testing.F) {
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"a","comment":"cradle:package:source: b (1)","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:deb/debian/a@1?distro=debian-12"}]}]}`))
	f.Add([]byte(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"software_Package","name":"a","software_packageUrl":"pkg:npm/%40s/a@1.0.0"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { ReadSBOM(bytes.NewReader(data)) })
}
