package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/iotest"
)

func TestItemsAbout200Bytes(t *testing.T) {
	ds, err := buildDataset(10000, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	avg := float64(ds.ItemBytes) / 10000
	b, _ := json.Marshal(genItem(123456))
	t.Logf("avg %.1f B; example (%d B): %s", avg, len(b), b)
	if avg < 180 || avg > 220 {
		t.Fatalf("average item size %.1f B, want about 200", avg)
	}
	if len(ds.Batches) != 10 {
		t.Fatalf("%d batches", len(ds.Batches))
	}
}

func TestScanArray(t *testing.T) {
	ds, err := buildDataset(2500, 2500, "")
	if err != nil {
		t.Fatal(err)
	}
	// Pretty-print to exercise whitespace, and read one byte at a time to
	// exercise items split across reads.
	var pretty bytes.Buffer
	json.Indent(&pretty, ds.Batches[0], "", "  ")
	for name, body := range map[string][]byte{"compact": ds.Batches[0], "pretty": pretty.Bytes()} {
		seen := map[int]bool{}
		n, _, err := scanArray(iotest.OneByteReader(bytes.NewReader(body)), make([]byte, 7),
			func(int) bool { return true },
			func(i int, raw []byte) error {
				idx, err := checkItem(raw)
				seen[idx] = true
				return err
			})
		if err != nil || n != 2500 || len(seen) != 2500 {
			t.Fatalf("%s: n=%d seen=%d err=%v", name, n, len(seen), err)
		}
	}
	for _, bad := range []string{`[{"a":1}`, `{"a":1}`, `[{"a":"}"},1]`, `[{"a":1}]]`, `[[]]`, ``} {
		if n, _, err := scanArray(strings.NewReader(bad), make([]byte, 4), nil, nil); err == nil {
			t.Errorf("%q: no error (n=%d)", bad, n)
		}
	}
	if n, _, err := scanArray(strings.NewReader(`[ {"a":"x\"}{"} , {"b":[1,{}]} ]`), make([]byte, 3), nil, nil); err != nil || n != 2 {
		t.Errorf("escapes: n=%d err=%v", n, err)
	}
	if n, _, err := scanArray(strings.NewReader(`[]`), make([]byte, 3), nil, nil); err != nil || n != 0 {
		t.Errorf("empty: n=%d err=%v", n, err)
	}
}

func TestCheckItemRejects(t *testing.T) {
	b, _ := json.Marshal(genItem(42))
	if _, err := checkItem(b); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []string{
		strings.Replace(string(b), `"price":`, `"price":1`, 1),
		strings.Replace(string(b), `{`, `{"extra":1,`, 1),
		strings.Replace(string(b), `00000042`, `00000043`, 1),
	} {
		if _, err := checkItem([]byte(mod)); err == nil {
			t.Errorf("accepted %s", mod)
		}
	}
}
