// Command actord is a self-hosted server that speaks the Apify API v2.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "actord:", err)
		// `actord call` exits like `apify call`: 2 timed out, 3 aborted,
		// else the run's exit code.
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) && coded.ExitCode() > 0 {
			os.Exit(coded.ExitCode())
		}
		os.Exit(1)
	}
}
