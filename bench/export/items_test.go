package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestItems(t *testing.T) {
	const n = 10000
	ds, err := buildDataset(n, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	avg := float64(ds.ItemBytes) / n
	b, _ := json.Marshal(genItem(123456))
	t.Logf("avg %.1f B; example (%d B): %s", avg, len(b), b)
	if avg < 180 || avg > 220 {
		t.Fatalf("average item size %.1f B, want about 200", avg)
	}
	if !reflect.DeepEqual(genItem(42), genItem(42)) {
		t.Fatal("genItem is not deterministic")
	}
	// Nested: objects in the object and a small array, of varying length so
	// the flattened columns are not all in the first item.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"price", "seller"} {
		if _, ok := m[k].(map[string]any); !ok {
			t.Errorf("%s is not an object: %v", k, m[k])
		}
	}
	lens := map[int]int{}
	for i := range n {
		lens[len(genItem(i).Tags)]++
	}
	if len(lens) != maxTags {
		t.Errorf("tags lengths %v, want 1..%d", lens, maxTags)
	}
	// Nothing JSON.stringify would escape differently from Go.
	for _, batch := range ds.Batches {
		if bytes.ContainsAny(batch, "\\<>&") {
			t.Fatal("items contain characters Go and JSON.stringify escape differently")
		}
	}
}

// body builds the exports the way actord (and JSON.stringify) write them.
func body(t *testing.T, format string, n int) []byte {
	var out bytes.Buffer
	switch format {
	case "json":
		out.WriteByte('[')
		for i := range n {
			if i > 0 {
				out.WriteString(",\n")
			}
			b, _ := json.Marshal(genItem(i))
			if err := json.Indent(&out, b, "", "  "); err != nil {
				t.Fatal(err)
			}
		}
		out.WriteByte(']')
	case "jsonl":
		for i := range n {
			if i > 0 {
				out.WriteByte('\n')
			}
			b, _ := json.Marshal(genItem(i))
			out.Write(b)
		}
	case "csv":
		out.WriteString("\"url\",\"title\"\r\n")
		for i := range n {
			it := genItem(i)
			fmt.Fprintf(&out, "%q,%q\r\n", it.URL, it.Title)
		}
	}
	return out.Bytes()
}

func TestCounter(t *testing.T) {
	const n = 1234
	ds, err := buildDataset(n, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "jsonl", "csv"} {
		b := body(t, format, n)
		switch format {
		case "json":
			if int64(len(b)) != ds.jsonBytes {
				t.Errorf("json: %d bytes, dataset says %d", len(b), ds.jsonBytes)
			}
		case "jsonl":
			if int64(len(b)) != ds.jsonlBytes {
				t.Errorf("jsonl: %d bytes, dataset says %d", len(b), ds.jsonlBytes)
			}
		}
		for _, oneByte := range []bool{false, true} {
			c := &counter{format: format}
			var r = bytes.NewReader(b)
			var rd interface{ Read([]byte) (int, error) } = r
			if oneByte {
				rd = iotest.OneByteReader(r)
			}
			if err := c.consume(rd, make([]byte, 4096), time.Now()); err != nil {
				t.Fatal(err)
			}
			if c.items() != n || c.bytes != int64(len(b)) {
				t.Errorf("%s (one byte reads: %v): %d items, %d bytes; want %d, %d", format, oneByte, c.items(), c.bytes, n, len(b))
			}
		}
	}
	// Without a trailing newline the last CSV row still counts.
	c := &counter{format: "csv"}
	c.consume(strings.NewReader("a,b\n1,2\n3,4"), make([]byte, 16), time.Now())
	if c.items() != 2 {
		t.Errorf("csv without final newline: %d rows, want 2", c.items())
	}
	c = &counter{format: "json"}
	c.consume(strings.NewReader("[]"), make([]byte, 16), time.Now())
	if c.items() != 0 {
		t.Errorf("empty json: %d items", c.items())
	}
}
