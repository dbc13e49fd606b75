package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLineSplitter(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
		msg    string
	}{
		{name: "lines", chunks: []string{"a\nb", "c\n", "d"}, want: []string{"a", "bc", "d"}, msg: "d"},
		{name: "progress", chunks: []string{"Receiving: 1%\rReceiving: 5", "0%\rReceiving: 100%, done.\nnext\n"}, want: []string{"Receiving: 100%, done.", "next"}, msg: "next"},
		{name: "crlf", chunks: []string{"a\r", "\nb\r\n"}, want: []string{"a", "b"}, msg: "b"},
		{name: "empty lines kept", chunks: []string{"\n\nx\n"}, want: []string{"", "", "x"}, msg: "x"},
		{name: "git error", chunks: []string{"Cloning into 'repo'...\nwarning: x\nfatal: Remote branch nope not found\n"}, want: []string{"Cloning into 'repo'...", "warning: x", "fatal: Remote branch nope not found"}, msg: "fatal: Remote branch nope not found"},
		{
			name:   "npm error",
			chunks: []string{"npm error code E404\nnpm error\nnpm error 404 Not Found - GET https://r/x\nnpm error A complete log of this run can be found in: /x\n"},
			want:   []string{"npm error code E404", "npm error", "npm error 404 Not Found - GET https://r/x", "npm error A complete log of this run can be found in: /x"},
			msg:    "npm error 404 Not Found - GET https://r/x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &lines{}
			s := &lineSplitter{log: log}
			for _, c := range tt.chunks {
				s.Write([]byte(c))
			}
			s.flush()
			if !reflect.DeepEqual(log.l, tt.want) {
				t.Errorf("lines %q, want %q", log.l, tt.want)
			}
			if s.message() != tt.msg {
				t.Errorf("message %q, want %q", s.message(), tt.msg)
			}
		})
	}
	// Overlong lines are split.
	log := &lines{}
	s := &lineSplitter{log: log}
	s.Write([]byte(strings.Repeat("x", maxLine+10) + "\n"))
	if len(log.l) != 2 || len(log.l[0]) != maxLine || len(log.l[1]) != 10 {
		t.Errorf("overlong line split into %d lines", len(log.l))
	}
}

// Cancelling a command kills its whole process group, even children that
// keep its output open.
func TestRunLoggedCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := runLogged(ctx, t.TempDir(), []string{"PATH=/usr/bin:/bin"}, nil, "/bin/sh", "-c", "sleep 30 & sleep 30")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("returned after %v", d)
	}
}

func TestEscapes(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a/b/file": "x"})
	for name, target := range map[string]string{
		"up":      "..",
		"self":    ".",
		"toB":     "a/b",
		"viaSelf": "self/..",
		"viaB":    "toB/../..",
		"abs":     "/etc",
		"loop1":   "loop2",
		"loop2":   "loop1",
		"dangle":  "nothing/here",
		"a/b/up2": "../../..",
		"a/b/in":  "../../a",
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]bool{
		"a/b/file":      false,
		"up":            true,
		"self":          false,
		"self/a":        false,
		"toB":           false,
		"toB/../..":     false, // a/b/../.. is the root
		"viaSelf":       true,
		"viaB":          false,
		"abs":           true,
		"loop1":         true,
		"dangle":        false,
		"a/b/up2":       true,
		"a/b/in":        false,
		"missing/../..": true,
	}
	for name, want := range tests {
		got, err := escapes(root, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got != want {
			t.Errorf("%s: escapes %v, want %v", name, got, want)
		}
	}
}

func TestPrepareRunDir(t *testing.T) {
	build := t.TempDir()
	writeTree(t, build, map[string]string{"main.js": "m", "src/a.js": "a", ".actor/actor.json": "{}"})
	run := t.TempDir()
	if err := PrepareRunDir(build, run); err != nil {
		t.Fatal(err)
	}
	checkTree(t, run, map[string]want{
		"main.js": {link: filepath.Join(build, "main.js")},
		"src":     {link: filepath.Join(build, "src")},
		".actor":  {link: filepath.Join(build, ".actor")},
	}, true)
	if data, err := os.ReadFile(filepath.Join(run, "src", "a.js")); err != nil || string(data) != "a" {
		t.Errorf("src/a.js through the link: %q %v", data, err)
	}
	// A run directory holding a name of the build already fails.
	if err := PrepareRunDir(build, run); err == nil {
		t.Error("prepared a run directory twice")
	}
	if err := PrepareRunDir(build, filepath.Join(run, "missing")); err == nil {
		t.Error("prepared a missing run directory")
	}
}
