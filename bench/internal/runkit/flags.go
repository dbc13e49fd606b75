package runkit

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Flags are the command-line flags bench/run and bench/sync share.
type Flags struct {
	Options
	Bin     string
	Runs    int // sequential starts on each side
	Warmup  int // untimed starts on each side before them
	Verify  bool
	Keep    bool
	JSON    string
	Timeout time.Duration
}

// Register defines the shared flags on fs, with the program's defaults
// for -runs, -warmup and -concurrency; what names what the program checks
// with -verify.
func (f *Flags) Register(fs *flag.FlagSet, prog string, runs, warmup, concurrency int, verify string) {
	fs.StringVar(&f.Bin, "bin", "bin/actord", "path to the actord binary")
	fs.StringVar(&f.Pusher, "pusher", "", "a prebuilt pusher binary (default: build ./bench/run/pusher with CGO_ENABLED=0)")
	fs.StringVar(&f.Source, "source", SourceFiles, "where the actor's source lives: files (the pusher as a BASE64 source file of the actor) or tarball (a .tar.gz key-value store record the version's tarballUrl points at)")
	fs.IntVar(&f.Runs, "runs", runs, "sequential starts on each side (direct, actord), alternating")
	fs.IntVar(&f.Warmup, "warmup", warmup, "untimed starts on each side before the sequential ones")
	fs.IntVar(&f.Concurrency, "concurrency", concurrency, "concurrent clients of the concurrent phases")
	fs.IntVar(&f.Memory, "memory", 128, "memory of each run, MB (the actor's defaultRunOptions.memoryMbytes)")
	fs.IntVar(&f.RunMemory, "run-memory", 0, "ACTORD_RUN_MEMORY_MBYTES of the server (default: concurrency × memory, so that every client's run fits; less makes runs wait in READY)")
	fs.BoolVar(&f.Verify, "verify", true, "after the timed phases, check (untimed) "+verify)
	fs.BoolVar(&f.Keep, "keep", false, "keep the temp directory (data dir, server log, pusher binary)")
	fs.StringVar(&f.ServerArgs, "server-args", "", "extra space-separated arguments appended to `actord serve`")
	fs.StringVar(&f.JSON, "json", "", "also write the results as JSON to this file")
	fs.DurationVar(&f.SampleEvery, "sample", 20*time.Millisecond, "server RSS sampling interval")
	fs.DurationVar(&f.Timeout, "timeout", 30*time.Minute, "overall timeout")
	fs.String("node-dir", "", "unused ("+prog+" has no Node side; run.sh passes it to every benchmark)")
}

// Check validates the flags after parsing and fills -run-memory's
// default.
func (f *Flags) Check() error {
	if f.Runs <= 0 || f.Warmup < 0 || f.Concurrency <= 0 || f.Memory <= 0 || f.RunMemory < 0 {
		return errors.New("runs, concurrency and memory must be positive, warmup and run-memory not negative")
	}
	if f.Source != SourceFiles && f.Source != SourceTarball {
		return fmt.Errorf("-source must be %s or %s", SourceFiles, SourceTarball)
	}
	if f.RunMemory == 0 {
		f.RunMemory = f.Concurrency * f.Memory
	}
	return nil
}
