package benchkit

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 99, 7},
		{[]time.Duration{1, 2}, 50, 1},
		{[]time.Duration{1, 2, 3}, 50, 2},
		{[]time.Duration{1, 2, 3, 4}, 50, 2},
		{[]time.Duration{1, 2, 3, 4}, 95, 4},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 95, 95 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 100, 100 * time.Millisecond},
		{hundred, 0.5, 1 * time.Millisecond},
		{hundred[:20], 95, 19 * time.Millisecond},
	} {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("Percentile(%d values, %v) = %v, want %v", len(tc.in), tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	in := []time.Duration{4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 10 * time.Millisecond}
	s := Summarize(in)
	want := Summary{N: 5, Min: 1, P50: 3, P95: 10, P99: 10, Max: 10, Mean: 4}
	if s != want {
		t.Errorf("summarize = %+v, want %+v", s, want)
	}
	if in[0] != 4*time.Millisecond {
		t.Error("summarize sorted its input")
	}
	if s := Summarize(nil); s != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

func TestPairedDiff(t *testing.T) {
	got := PairedDiff([]time.Duration{1, 2, 3}, []time.Duration{5, 1})
	if len(got) != 2 || got[0] != 4 || got[1] != -1 {
		t.Errorf("pairedDiff = %v", got)
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(3, 2); got != "1.50×" {
		t.Errorf("Ratio(3, 2) = %q", got)
	}
	if got := Ratio(3, 0); got != "-" {
		t.Errorf("Ratio(3, 0) = %q", got)
	}
}
