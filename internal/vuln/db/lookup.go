package db

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

// Lookup returns the records that name the package (ecosystem with or
// without release suffix); withdrawn records are left out.
func (d *DB) Lookup(ecosystem, name string) ([]*osv.Record, error) {
	prefix := []byte(osv.IndexKey(ecosystem, name))
	var out []*osv.Record
	err := d.bolt.View(func(tx *bolt.Tx) error {
		vulns := tx.Bucket(bVulns)
		c := tx.Bucket(bIndex).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := k[len(prefix):]
			data := vulns.Get(id)
			if data == nil {
				return fmt.Errorf("index names %s, which is not stored: import again", id)
			}
			var r osv.Record
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			if r.Withdrawn == "" {
				out = append(out, &r)
			}
		}
		return nil
	})
	return out, err
}
