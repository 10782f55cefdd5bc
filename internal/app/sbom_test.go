package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/imagebuild"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestSBOMImage: an image archive is catalogued like a tree and described
// as a container.
func TestSBOMImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "img.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := imagebuild.WriteDockerArchive(f, imagebuild.DirLayers(filepath.Join("..", "sbom", "testdata", "rootfs")), imagebuild.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	spec, err := target.NewSpec(target.KindImage, p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := (&App{Version: "test"}).SBOM(context.Background(), SBOMInput{Target: spec, Time: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Metadata struct {
			Timestamp string
			Component struct{ Type, Name string }
		}
		Components []struct{ Purl string }
	}
	if err := json.Unmarshal(out.Document, &doc); err != nil {
		t.Fatal(err)
	}
	if out.Components != 5 || len(doc.Components) != 5 || doc.Metadata.Component.Type != "container" ||
		doc.Metadata.Component.Name != spec.ID() || doc.Metadata.Timestamp != "1970-01-01T00:00:00Z" {
		t.Errorf("got %d components, metadata %+v", out.Components, doc.Metadata)
	}
}
