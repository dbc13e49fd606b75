// Package benchkit is the code the benchmark programs under bench/ share:
// the run's setting and main() (run.go), starting actord and talking to it
// (server.go), reading a process's memory and CPU from /proc (proc.go),
// generating deterministic items (items.go), and formatting the results
// (report.go). bench/internal/common.sh is the same for their run.sh.
//
// It is benchmark support, not part of actord.
package benchkit
