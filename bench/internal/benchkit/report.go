package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes this machine: OS/arch, CPUs, CPU model, RAM, Go and
// Node versions.
func Machine() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				parts = append(parts, strings.TrimSpace(l[strings.IndexByte(l, ':')+1:]))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20)))
			}
		}
	}
	parts = append(parts, runtime.Version())
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		parts = append(parts, "node "+strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

// MiB formats a byte count as whole MiB, e.g. "42 MiB".
func MiB(b int64) string { return fmt.Sprintf("%.0f MiB", MB(b)) }

// MB returns a byte count in MiB.
func MB(b int64) float64 { return float64(b) / (1 << 20) }

// Commas formats v rounded to an integer with thousands separators.
func Commas(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// YesNo reports whether a target was met.
func YesNo(b bool) string {
	if b {
		return "MET"
	}
	return "NOT MET"
}
