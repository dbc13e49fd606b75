package benchkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"time"
)

// Word lists both item generators draw from.
var (
	Brands     = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Vandelay", "Wonka"}
	Currencies = []string{"USD", "EUR", "GBP", "CZK", "JPY"}
)

// baseTime is the scrapedAt of item 0, give or take a minute.
var baseTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Rng is splitmix64: a well-mixed, deterministic pseudo-random sequence.
type Rng uint64

// ItemRng returns the generator for item number i, so that item i is the
// same whichever items are generated before it.
func ItemRng(i int) *Rng {
	r := Rng(uint64(i)*0x2545f4914f6cdd1d + 12345)
	return &r
}

// Next returns the next 64 random bits.
func (r *Rng) Next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Intn returns a number in [0, n).
func (r *Rng) Intn(n int) int { return int(r.Next() % uint64(n)) }

// Pick returns a random element of pool.
func (r *Rng) Pick(pool []string) string { return pool[r.Intn(len(pool))] }

// Distinct returns n different random elements of pool (n ≤ len(pool)).
func (r *Rng) Distinct(pool []string, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		t := r.Pick(pool)
		dup := false
		for _, x := range out {
			dup = dup || x == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// ScrapedAt returns item i's timestamp: i seconds after the base time plus
// up to a random minute, as RFC 3339 in UTC.
func ScrapedAt(i int, r *Rng) string {
	return baseTime.Add(time.Duration(i)*time.Second + time.Duration(r.Intn(60))*time.Second).Format("2006-01-02T15:04:05Z")
}

// WriteItems writes items gen(0) .. gen(n-1) to path as JSONL, one compact
// item per line.
func WriteItems[T any](path string, n int, gen func(i int) T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		b, err := json.Marshal(gen(i))
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return w.Flush()
}

// Dataset is a generated workload, serialized for pushing.
type Dataset struct {
	Batches   [][]byte // pre-serialized JSON arrays, one per push request
	Items     int
	ItemBytes int64   // sum of the compact item sizes (without array punctuation)
	Seconds   float64 // how long generating and serializing took
}

// BuildDataset generates items gen(0) .. gen(n-1), serializes them into
// push bodies of batchSize items and, if jsonlPath != "", also writes them
// one per line to a JSONL file, so that the Node side gets byte-identical
// items. If each is not nil, it is called with every item's compact JSON.
func BuildDataset[T any](n, batchSize int, jsonlPath string, gen func(i int) T, each func(item []byte) error) (*Dataset, error) {
	start := time.Now()
	var w *bufio.Writer
	if jsonlPath != "" {
		f, err := os.Create(jsonlPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		w = bufio.NewWriterSize(f, 1<<20)
	}
	ds := &Dataset{Items: n}
	var buf bytes.Buffer
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		buf.Reset()
		buf.WriteByte('[')
		for i := start; i < end; i++ {
			b, err := json.Marshal(gen(i))
			if err != nil {
				return nil, err
			}
			if i > start {
				buf.WriteByte(',')
			}
			buf.Write(b)
			ds.ItemBytes += int64(len(b))
			if each != nil {
				if err := each(b); err != nil {
					return nil, err
				}
			}
			if w != nil {
				w.Write(b)
				w.WriteByte('\n')
			}
		}
		buf.WriteByte(']')
		ds.Batches = append(ds.Batches, bytes.Clone(buf.Bytes()))
	}
	if w != nil {
		if err := w.Flush(); err != nil {
			return nil, err
		}
	}
	ds.Seconds = time.Since(start).Seconds()
	return ds, nil
}
