package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/actord/actord/bench/internal/benchkit"
)

// Item is one generated dataset item: about 200 bytes of compact JSON with
// objects inside the object and a small array, so that the tabular formats
// have something to flatten. Field order is the serialization order.
type Item struct {
	URL       string   `json:"url"`
	Title     string   `json:"title"`
	Price     Price    `json:"price"`
	InStock   bool     `json:"inStock"`
	Seller    Seller   `json:"seller"`
	Tags      []string `json:"tags"`
	ScrapedAt string   `json:"scrapedAt"`
}

// Price is nested in Item.
type Price struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
}

// Seller is nested in Item.
type Seller struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

var (
	nouns   = []string{"widget", "kettle", "lamp", "bag", "blender", "drill", "chair", "tent", "jacket", "speaker", "watch"}
	sellers = []string{"Northwind", "Contoso", "Fabrikam", "Litware", "Lucerne", "Nod"}
	tagPool = []string{"sale", "new", "eco", "gift", "top", "hot", "deal", "bulk", "home", "kids"}
)

// maxTags is the longest tags array; arrays of 1..maxTags elements mean the
// flattened columns (tags/0, tags/1) are not all in the first item.
const maxTags = 2

// genItem deterministically generates item number i (0-based). The index is
// part of the URL.
func genItem(i int) Item {
	r := benchkit.ItemRng(i)
	noun := r.Pick(nouns)
	brand := r.Pick(benchkit.Brands)
	cents := 99 + r.Intn(99900) // 0.99 .. 999.98
	seller := r.Intn(len(sellers))
	tags := r.Distinct(tagPool, 1+r.Intn(maxTags))
	return Item{
		URL:       fmt.Sprintf("https://shop.example/%07d", i),
		Title:     brand + " " + noun,
		Price:     Price{Value: float64(cents) / 100, Currency: r.Pick(benchkit.Currencies)},
		InStock:   r.Intn(4) != 0,
		Seller:    Seller{Name: sellers[seller], ID: 100 + seller*37 + r.Intn(37)},
		Tags:      tags,
		ScrapedAt: benchkit.ScrapedAt(i, r),
	}
}

// dataset is the generated workload, plus the exact sizes of the json and
// jsonl exports.
type dataset struct {
	*benchkit.Dataset
	jsonBytes  int64 // exact size of format=json: "[" + pretty items joined by ",\n" + "]"
	jsonlBytes int64 // exact size of format=jsonl: compact items joined by "\n"
}

// buildDataset generates n items, serializes them into push bodies of
// batchSize items and, if jsonlPath != "", writes them one per line to a
// JSONL file, the Node side's input. It also works out the exact sizes of
// the json and jsonl exports, which all our items allow: they have no
// characters that JSON.stringify and Go escape differently, and their
// numbers print the same in both.
func buildDataset(n, batchSize int, jsonlPath string) (*dataset, error) {
	ds := &dataset{}
	var pretty bytes.Buffer
	var err error
	ds.Dataset, err = benchkit.BuildDataset(n, batchSize, jsonlPath, genItem, func(b []byte) error {
		pretty.Reset()
		if err := json.Indent(&pretty, b, "", "  "); err != nil {
			return err
		}
		ds.jsonBytes += int64(pretty.Len())
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		ds.jsonBytes += 2 + 2*int64(n-1) // "[" "]" and ",\n" between items
		ds.jsonlBytes = ds.ItemBytes + int64(n-1)
	} else {
		ds.jsonBytes = 2
	}
	return ds, nil
}
