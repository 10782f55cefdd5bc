// Command mkrpmdb writes SQL that builds an rpmdb.sqlite with rpm's schema
// and one header blob per package given on stdin as
// "name epoch:version-release arch" lines (epoch optional):
//
//	go run ./internal/collect/packages/testdata/mkrpmdb < pkgs.txt | sqlite3 rpmdb.sqlite
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/packages"
)

func main() {
	fmt.Println("PRAGMA page_size=4096;")
	fmt.Println("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL);")
	fmt.Println("CREATE TABLE 'Name' (key 'TEXT' NOT NULL,hnum INTEGER NOT NULL,idx INTEGER NOT NULL,FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum));")
	fmt.Println("BEGIN;")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		h := packages.RPMHeader{Name: f[0], Arch: f[2], Epoch: -1}
		evr := f[1]
		if e, rest, ok := strings.Cut(evr, ":"); ok {
			h.Epoch, _ = strconv.ParseInt(e, 10, 64)
			evr = rest
		}
		h.Version, h.Release, _ = strings.Cut(evr, "-")
		h.SourceRPM = fmt.Sprintf("%s-%s-%s.src.rpm", h.Name, h.Version, h.Release)
		if len(f) > 3 { // pad to exercise overflow pages
			n, _ := strconv.Atoi(f[3])
			h.SourceRPM += strings.Repeat("x", n)
		}
		fmt.Printf("INSERT INTO Packages(blob) VALUES (X'%s');\n", hex.EncodeToString(packages.BuildRPMHeader(h)))
		fmt.Printf("INSERT INTO Name VALUES ('%s', last_insert_rowid(), 0);\n", h.Name)
	}
	fmt.Println("COMMIT;")
}
