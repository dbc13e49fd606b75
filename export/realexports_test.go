package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/actord/actord/jsonitem"
)

// The real Apify exports in ../shared/real-exports (see its INDEX.md and
// FINDINGS.md): files people downloaded from Apify and committed to public
// repositories. These tests push their items and export them again.

const realExports = "../../shared/real-exports/"

func realExport(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realExports, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real export missing in CI: %v", err)
		}
		t.Skipf("real export not available: %v", err)
	}
	return b
}

func writeAll(t *testing.T, its [][]byte, query string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, options(t, query), &sliceCursor{items: its}, Dataset{ID: "x", Label: "x"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Pushing each real JSON and JSONL export's items and exporting them in the
// same format gives the file byte for byte.
func TestRealExportsRoundTrip(t *testing.T) {
	tests := []struct{ file, format string }{
		{"MiPuzmi__DA_podzim2023/dataset_crawler-google-places_2023-10-01_17-02-30-942.json", "json"},
		{"MiPuzmi__DA_podzim2023/dataset_firmy_2023-09-14_10-04-04-008.json", "json"},
		{"KlajdiZmalaj__business-locator/dataset_crawler-google-places_2026-01-27_23-54-46-964.json.EXCERPT-first2items.json", "json"},
		{"Jillian-ignited__Crooks-Command-Center-V2/dataset_tiktok-scraper_2025-09-21_13-33-25-969.jsonl", "jsonl"},
		{"VIMANAi__godel-agency/dataset_facebook-posts-scraper_2026-02-20_17-43-56-562.jsonl.EXCERPT-last3lines.jsonl", "jsonl"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			want := realExport(t, tt.file)
			var its [][]byte
			if tt.format == "json" {
				var err error
				if its, err = jsonitem.SplitItems(want); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, line := range bytes.Split(want, []byte("\n")) {
					it, err := jsonitem.SplitItems(line)
					if err != nil {
						t.Fatal(err)
					}
					its = append(its, it...)
				}
			}
			got := writeAll(t, its, "format="+tt.format)
			if !bytes.Equal(got, want) {
				i := firstDiff(got, want)
				t.Fatalf("%d items: output differs at byte %d of %d/%d:\n got …%q\nwant …%q", len(its), i, len(got), len(want),
					got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
			}
			t.Logf("%d items, %d bytes identical", len(its), len(got))
		})
	}
}

// For each real JSON+CSV pair, exporting the JSON items as CSV with the
// CSV's top-level columns as fields gives the CSV byte for byte.
func TestRealExportsCSVPairs(t *testing.T) {
	pairs := []string{
		"MiPuzmi__DA_podzim2023/dataset_crawler-google-places_2023-10-01_17-02-30-942",
		"MiPuzmi__DA_podzim2023/dataset_firmy_2023-09-14_10-04-04-008",
	}
	for _, p := range pairs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			js, want := realExport(t, p+".json"), realExport(t, p+".csv")
			its, err := jsonitem.SplitItems(js)
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, col := range csvHeader(t, want) {
				top, _, _ := strings.Cut(col, "/")
				if !contains(fields, top) {
					fields = append(fields, top)
				}
			}
			got := writeAll(t, its, "format=csv&fields="+strings.Join(fields, ","))
			if !bytes.Equal(got, want) {
				i := firstDiff(got, want)
				t.Fatalf("output differs at byte %d of %d/%d:\n got …%q\nwant …%q", i, len(got), len(want),
					got[max(0, i-60):min(len(got), i+60)], want[max(0, i-60):min(len(want), i+60)])
			}
			t.Logf("%d items, fields %s: %d bytes identical", len(its), strings.Join(fields, ","), len(got))
		})
	}
}

// The real "All fields" headers of 772 (CSV) and 356 (XLSX) columns come out
// in the same order from items carrying those paths, whatever the order of
// the items and of their keys.
func TestRealExportsColumnOrder(t *testing.T) {
	t.Run("google-search-scraper csv 772 columns", func(t *testing.T) {
		header := csvHeader(t, realExport(t, "parkersell__FinancialAdvice_NLP582/dataset_google-search-scraper_2023-04-30_21-21-04-757.csv.EXCERPT-first6lines.csv"))
		checkColumnOrder(t, header, 772)
	})
	t.Run("instagram-scraper xlsx 356 columns", func(t *testing.T) {
		header := xlsxHeader(t, realExport(t, "123Marcelin0__Flowcore-Social/dataset_instagram-scraper_2025-07-24_15-01-56-173.xlsx"))
		checkColumnOrder(t, header, 356)
	})
}

func checkColumnOrder(t *testing.T, header []string, want int) {
	t.Helper()
	if len(header) != want {
		t.Fatalf("header has %d columns, want %d", len(header), want)
	}
	// One item per column path; shuffled so neither item order nor key
	// order can explain the result.
	its := make([][]byte, len(header))
	for i, path := range header {
		its[i] = itemWithPath(strings.Split(path, "/"))
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(its), func(i, j int) { its[i], its[j] = its[j], its[i] })
	got := csvHeader(t, writeAll(t, its, "format=csv"))
	if strings.Join(got, "\n") != strings.Join(header, "\n") {
		for i := range header {
			if i >= len(got) || got[i] != header[i] {
				t.Fatalf("csv column %d is %q, want %q (%d columns)", i, got[min(i, len(got)-1)], header[i], len(got))
			}
		}
		t.Fatalf("csv has %d columns, want %d", len(got), len(header))
	}
	if x := xlsxHeader(t, writeAll(t, its, "format=xlsx")); strings.Join(x, "\n") != strings.Join(header, "\n") {
		t.Fatalf("xlsx header differs from the real one")
	}
}

// itemWithPath builds an item whose only leaf is at path: numeric
// segments are array indices, and the elements before one are {} (which
// give no column).
func itemWithPath(path []string) []byte {
	var leaf func(i int) string
	leaf = func(i int) string {
		if i == len(path) {
			return `"v"`
		}
		if n, err := strconv.Atoi(path[i]); err == nil && i > 0 {
			return "[" + strings.Repeat("{},", n) + leaf(i+1) + "]"
		}
		return "{" + string(quote(path[i])) + ":" + leaf(i+1) + "}"
	}
	return []byte(leaf(0))
}

func csvHeader(t *testing.T, b []byte) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, utf8BOM)))
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

var firstRowCells = regexp.MustCompile(`<c r="[A-Z]+1" t="inlineStr"><is><t>([^<]*)</t></is></c>`)

func xlsxHeader(t *testing.T, b []byte) []string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		sheet, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		row1, _, _ := bytes.Cut(sheet, []byte("</row>"))
		var names []string
		for _, m := range firstRowCells.FindAllSubmatch(row1, -1) {
			names = append(names, strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(string(m[1])))
		}
		return names
	}
	t.Fatal("no sheet1.xml")
	return nil
}

func firstDiff(a, b []byte) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
