package export

import (
	"fmt"
	"io"
	"testing"
)

// benchItems returns n nested items of about 200 bytes.
func benchItems(n int) [][]byte {
	its := make([][]byte, n)
	for i := range its {
		its[i] = []byte(fmt.Sprintf(`{"url":"https://shop.example.com/p/%d","title":"Product number %d with a name","price":{"value":%d.5,"currency":"EUR"},"inStock":%v,"rating":4.%d,"seller":{"name":"Seller %d","id":%d},"tags":["a","b%d"]}`,
			i, i, i%1000, i%2 == 0, i%10, i%97, i%97, i%7))
	}
	return its
}

// BenchmarkWrite measures the engine alone (no storage, no HTTP) per
// format on nested ~200 B items; items/s is the figure to read.
func BenchmarkWrite(b *testing.B) {
	its := benchItems(100_000)
	for _, f := range []string{"json", "jsonl", "csv", "html", "xlsx", "xml", "rss", "jsonl&fields=title,price&unwind=tags", "csv&clean=1&flatten=price"} {
		b.Run(f, func(b *testing.B) {
			o := options(b, "format="+f)
			c := &sliceCursor{items: its}
			for b.Loop() {
				c.Rewind()
				if err := Write(io.Discard, o, c, Dataset{ID: "x", Label: "x"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(its))*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
