package db

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/cradle-cra/cradle/internal/vuln/feed"
)

// importKEV replaces the stored catalogue with c: an entry removed from
// CISA's list is no longer known-exploited here either.
func (d *DB) importKEV(data []byte, p *Provenance) error {
	c, err := feed.ReadKEV(bytesReader(data))
	if err != nil {
		return err
	}
	p.Version, p.Records = c.CatalogVersion, len(c.Vulnerabilities)
	return d.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bKEV); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bKEV)
		if err != nil {
			return err
		}
		for _, k := range c.Vulnerabilities {
			v, err := json.Marshal(k)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(k.CVE), v); err != nil {
				return err
			}
		}
		p.Added = len(c.Vulnerabilities)
		return nil
	})
}

// importEPSS replaces the stored scores with the file's.
func (d *DB) importEPSS(path string, p *Provenance) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := feed.ReadEPSS(f)
	if err != nil {
		return err
	}
	p.Version, p.Records = e.Date, len(e.Scores)
	return d.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bEPSS); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bEPSS)
		if err != nil {
			return err
		}
		for _, s := range e.Scores {
			v := strconv.FormatFloat(s.Score, 'g', -1, 64) + "," + strconv.FormatFloat(s.Percentile, 'g', -1, 64)
			if err := b.Put([]byte(s.CVE), []byte(v)); err != nil {
				return fmt.Errorf("%s: %w", s.CVE, err)
			}
		}
		p.Added = len(e.Scores)
		return nil
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
