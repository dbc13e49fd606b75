package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Item is one generated dataset item. Field order is the serialization order.
type Item struct {
	URL       string   `json:"url"`
	Title     string   `json:"title"`
	Price     float64  `json:"price"`
	Currency  string   `json:"currency"`
	InStock   bool     `json:"inStock"`
	Rating    float64  `json:"rating"`
	ScrapedAt string   `json:"scrapedAt"`
	Tags      []string `json:"tags"`
}

var (
	brands     = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Vandelay", "Wonka"}
	adjectives = []string{"red", "blue", "green", "compact", "deluxe", "wireless", "organic", "vintage", "smart", "heavy-duty", "ultralight", "classic", "portable", "ergonomic"}
	nouns      = []string{"widget", "kettle", "lamp", "backpack", "headphones", "blender", "drill", "chair", "monitor", "tent", "jacket", "keyboard", "speaker", "watch"}
	currencies = []string{"USD", "EUR", "GBP", "CZK", "JPY"}
	tagPool    = []string{"sale", "new", "bestseller", "eco", "limited", "clearance", "gift", "premium", "outdoor", "kitchen", "office", "garden"}
	baseTime   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// splitmix64 gives a well-mixed, deterministic pseudo-random sequence.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// genItem deterministically generates item number i (0-based). The item's
// index is embedded in its URL so a read-back item can be checked against
// genItem(index) regardless of the order the server returns batches in.
func genItem(i int) Item {
	r := rng(uint64(i)*0x2545f4914f6cdd1d + 12345)
	adj := adjectives[r.intn(len(adjectives))]
	noun := nouns[r.intn(len(nouns))]
	brand := brands[r.intn(len(brands))]
	cents := 99 + r.intn(99900) // 0.99 .. 999.98
	nTags := 1 + r.intn(2)
	tags := make([]string, 0, nTags)
	for len(tags) < nTags {
		t := tagPool[r.intn(len(tagPool))]
		dup := false
		for _, x := range tags {
			dup = dup || x == t
		}
		if !dup {
			tags = append(tags, t)
		}
	}
	return Item{
		URL:       fmt.Sprintf("https://example.com/p/%08d/%s-%s", i, adj, noun),
		Title:     fmt.Sprintf("%s %s %s", brand, cases(adj), noun),
		Price:     float64(cents) / 100,
		Currency:  currencies[r.intn(len(currencies))],
		InStock:   r.intn(4) != 0,
		Rating:    float64(10+r.intn(41)) / 10,
		ScrapedAt: baseTime.Add(time.Duration(i)*time.Second + time.Duration(r.intn(60))*time.Second).Format("2006-01-02T15:04:05Z"),
		Tags:      tags,
	}
}

func cases(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// itemIndexFromURL extracts the generator index from an item's URL.
func itemIndexFromURL(u string) (int, bool) {
	const prefix = "https://example.com/p/"
	if !strings.HasPrefix(u, prefix) || len(u) < len(prefix)+8 {
		return 0, false
	}
	n, err := strconv.Atoi(u[len(prefix) : len(prefix)+8])
	return n, err == nil
}

type dataset struct {
	batches    [][]byte // pre-serialized JSON arrays, one per HTTP request
	totalBytes int64    // sum of item JSON sizes (without array punctuation)
	items      int
}

// buildDataset generates n items, serializes them into batch bodies of
// batchSize items and (if jsonlPath != "") also writes them one per line to a
// JSONL file so the storage-local side pushes byte-identical items.
func buildDataset(n, batchSize int, jsonlPath string) (*dataset, error) {
	var w *bufio.Writer
	if jsonlPath != "" {
		f, err := os.Create(jsonlPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		w = bufio.NewWriterSize(f, 1<<20)
	}
	ds := &dataset{items: n}
	var buf bytes.Buffer
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		buf.Reset()
		buf.WriteByte('[')
		for i := start; i < end; i++ {
			b, err := json.Marshal(genItem(i))
			if err != nil {
				return nil, err
			}
			if i > start {
				buf.WriteByte(',')
			}
			buf.Write(b)
			ds.totalBytes += int64(len(b))
			if w != nil {
				w.Write(b)
				w.WriteByte('\n')
			}
		}
		buf.WriteByte(']')
		ds.batches = append(ds.batches, bytes.Clone(buf.Bytes()))
	}
	if w != nil {
		if err := w.Flush(); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// checkItem verifies that raw (one item as returned by the server) is exactly
// the generated item it claims to be: same fields, same values, nothing extra.
// It returns the item's generator index.
func checkItem(raw []byte) (int, error) {
	var got Item
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		return -1, fmt.Errorf("decode item %.200q: %w", raw, err)
	}
	idx, ok := itemIndexFromURL(got.URL)
	if !ok {
		return -1, fmt.Errorf("item has unexpected url %q", got.URL)
	}
	want := genItem(idx)
	if got.URL != want.URL || got.Title != want.Title || got.Price != want.Price ||
		got.Currency != want.Currency || got.InStock != want.InStock || got.Rating != want.Rating ||
		got.ScrapedAt != want.ScrapedAt || strings.Join(got.Tags, ",") != strings.Join(want.Tags, ",") {
		wb, _ := json.Marshal(want)
		return idx, fmt.Errorf("item %d differs:\n got  %s\n want %s", idx, raw, wb)
	}
	return idx, nil
}
