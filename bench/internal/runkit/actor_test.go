package runkit

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourceTarGz(t *testing.T) {
	tgz, err := sourceTarGz([]byte("\x7fELF binary"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b) + " " + h.FileInfo().Mode().String()
	}
	want := map[string]string{"Dockerfile": dockerfile + " -rw-r--r--", "bin/pusher": "\x7fELF binary -rwxr-xr-x"}
	if len(got) != len(want) || got["Dockerfile"] != want["Dockerfile"] || got["bin/pusher"] != want["bin/pusher"] {
		t.Errorf("tarball holds %q, want %q", got, want)
	}
	if !strings.HasSuffix(dockerfile, "CMD [\"./bin/pusher\"]\n") {
		t.Errorf("the Dockerfile's last line is not the pusher's CMD: %q", dockerfile)
	}
}

func TestCheckStatic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
	if err := checkStatic(p); err == nil {
		t.Error("a script passed as a static binary")
	}
	for _, dyn := range []string{"/bin/sh", "/usr/bin/env"} {
		if _, err := os.Stat(dyn); err != nil {
			continue
		}
		if err := checkStatic(dyn); err == nil || !strings.Contains(err.Error(), "not a static binary") {
			t.Logf("%s: %v (not dynamically linked here?)", dyn, err)
		}
	}
}

func TestCheckItems(t *testing.T) {
	for _, ok := range []string{`[{"hello":"world"}]`, "[\n  {\n    \"hello\": \"world\"\n  }\n]\n"} {
		if err := CheckItems([]byte(ok)); err != nil {
			t.Errorf("CheckItems(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{``, `[]`, `{"hello":"world"}`, `[{"hello":"world"},{"hello":"world"}]`, `[{"hello":"world","x":1}]`, `[{"hello":"moon"}]`} {
		if err := CheckItems([]byte(bad)); err == nil {
			t.Errorf("CheckItems(%q) passed", bad)
		}
	}
}

func TestFlags(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.Register(fs, "bench/x", 300, 10, 50, "everything")
	if err := fs.Parse([]string{"-concurrency", "4", "-memory", "256"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil || f.RunMemory != 1024 || f.Runs != 300 || f.Warmup != 10 || f.Source != SourceFiles || !f.Verify {
		t.Errorf("flags %+v, check %v", f, err)
	}
	f.Source = "zip"
	if err := f.Check(); err == nil {
		t.Error("-source zip passed")
	}
	f.Source, f.Runs = SourceTarball, 0
	if err := f.Check(); err == nil {
		t.Error("-runs 0 passed")
	}
}
