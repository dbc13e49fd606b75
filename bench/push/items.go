package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/actord/actord/bench/internal/benchkit"
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
	adjectives = []string{"red", "blue", "green", "compact", "deluxe", "wireless", "organic", "vintage", "smart", "heavy-duty", "ultralight", "classic", "portable", "ergonomic"}
	nouns      = []string{"widget", "kettle", "lamp", "backpack", "headphones", "blender", "drill", "chair", "monitor", "tent", "jacket", "keyboard", "speaker", "watch"}
	tagPool    = []string{"sale", "new", "bestseller", "eco", "limited", "clearance", "gift", "premium", "outdoor", "kitchen", "office", "garden"}
)

// genItem deterministically generates item number i (0-based). The item's
// index is embedded in its URL so a read-back item can be checked against
// genItem(index) regardless of the order the server returns batches in.
func genItem(i int) Item {
	r := benchkit.ItemRng(i)
	adj := r.Pick(adjectives)
	noun := r.Pick(nouns)
	brand := r.Pick(benchkit.Brands)
	cents := 99 + r.Intn(99900) // 0.99 .. 999.98
	tags := r.Distinct(tagPool, 1+r.Intn(2))
	return Item{
		URL:       fmt.Sprintf("https://example.com/p/%08d/%s-%s", i, adj, noun),
		Title:     fmt.Sprintf("%s %s %s", brand, cases(adj), noun),
		Price:     float64(cents) / 100,
		Currency:  r.Pick(benchkit.Currencies),
		InStock:   r.Intn(4) != 0,
		Rating:    float64(10+r.Intn(41)) / 10,
		ScrapedAt: benchkit.ScrapedAt(i, r),
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

// buildDataset generates n items, serializes them into batch bodies of
// batchSize items and (if jsonlPath != "") also writes them one per line to a
// JSONL file so the storage-local side pushes byte-identical items.
func buildDataset(n, batchSize int, jsonlPath string) (*benchkit.Dataset, error) {
	return benchkit.BuildDataset(n, batchSize, jsonlPath, genItem, nil)
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
