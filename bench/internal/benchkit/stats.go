package benchkit

import (
	"fmt"
	"slices"
	"time"
)

// Summary is a latency distribution in milliseconds.
type Summary struct {
	N    int     `json:"n"`
	Min  float64 `json:"minMs"`
	P50  float64 `json:"p50Ms"`
	P95  float64 `json:"p95Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, which must be in ascending order: the smallest value that at
// least p percent of the values are less than or equal to. It is 0 for no
// values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
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

// Summarize returns the distribution of ds (which it does not change).
func Summarize(ds []time.Duration) Summary {
	s := Summary{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.Min, s.Max = Ms(sorted[0]), Ms(sorted[len(sorted)-1])
	s.P50, s.P95, s.P99 = Ms(Percentile(sorted, 50)), Ms(Percentile(sorted, 95)), Ms(Percentile(sorted, 99))
	s.Mean = Ms(sum / time.Duration(len(sorted)))
	return s
}

// PairedDiff returns b[i]-a[i] for the pairs both sides measured (the
// shorter length).
func PairedDiff(a, b []time.Duration) []time.Duration {
	n := min(len(a), len(b))
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = b[i] - a[i]
	}
	return out
}

// Ms returns d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Ratio formats a/b as "1.23×", or "-" when b is 0.
func Ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
