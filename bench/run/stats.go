package main

import (
	"slices"
	"time"
)

// summary is a latency distribution in milliseconds.
type summary struct {
	N    int     `json:"n"`
	Min  float64 `json:"minMs"`
	P50  float64 `json:"p50Ms"`
	P95  float64 `json:"p95Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, which must be in ascending order: the smallest value that at
// least p percent of the values are less than or equal to. It is 0 for no
// values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The rank is ceil(p/100 * n), computed in integers where it can be
	// so that p=50 of 300 values is exactly the 150th.
	rank := int(p * float64(n) / 100)
	if float64(rank) < p*float64(n)/100 {
		rank++
	}
	return sorted[min(max(rank, 1), n)-1]
}

// summarize returns the distribution of ds (which it does not change).
func summarize(ds []time.Duration) summary {
	s := summary{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.Min, s.Max = ms(sorted[0]), ms(sorted[len(sorted)-1])
	s.P50, s.P95, s.P99 = ms(percentile(sorted, 50)), ms(percentile(sorted, 95)), ms(percentile(sorted, 99))
	s.Mean = ms(sum / time.Duration(len(sorted)))
	return s
}

// pairedDiff returns b[i]-a[i] for the pairs both sides measured (the
// shorter length).
func pairedDiff(a, b []time.Duration) []time.Duration {
	n := min(len(a), len(b))
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = b[i] - a[i]
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
