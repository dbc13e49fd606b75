package builder

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actord/actord"
)

// want describes a file expected in a directory: its content and mode, or
// a folder, or a symlink target.
type want struct {
	content string
	mode    fs.FileMode
	dir     bool
	link    string
}

// checkTree compares dir with files (slash-separated relative paths); with
// exact, dir may hold nothing else.
func checkTree(t *testing.T, dir string, files map[string]want, exact bool) {
	t.Helper()
	for name, w := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		switch {
		case w.link != "":
			target, err := os.Readlink(p)
			if err != nil || target != w.link {
				t.Errorf("%s: link to %q (%v), want %q", name, target, err, w.link)
			}
		case w.dir:
			if !fi.IsDir() {
				t.Errorf("%s: not a folder", name)
			}
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if string(data) != w.content {
				t.Errorf("%s: content %q, want %q", name, data, w.content)
			}
			if w.mode != 0 && fi.Mode().Perm() != w.mode {
				t.Errorf("%s: mode %o, want %o", name, fi.Mode().Perm(), w.mode)
			}
		}
	}
	if !exact {
		return
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			t.Errorf("unexpected %s", filepath.ToSlash(rel))
		}
		return nil
	})
}

func TestWriteSourceFiles(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		files   []actord.SourceFile
		want    map[string]want
		wantErr string
	}{{
		name: "text, base64, folders, modes",
		files: []actord.SourceFile{
			{Name: "package.json", Format: "TEXT", Content: `{"name":"x"}`},
			{Name: "src", Folder: true},
			{Name: "src/main.js", Content: "console.log(1)\n"},
			{Name: "deep/er/data.bin", Format: "BASE64", Content: b64("\x00\x01binary")},
			{Name: "wrapped.txt", Format: "base64", Content: "aGVs\nbG8"}, // line break, no padding
			{Name: "run.sh", Content: "#!/bin/sh\necho hi\n"},
			{Name: "bin/tool", Content: "echo tool\n"},
			{Name: "bin/tool.js", Content: "x"},
			{Name: "empty/", Folder: true},
			{Name: "./dot/file", Content: "d"},
		},
		want: map[string]want{
			"package.json":     {content: `{"name":"x"}`, mode: 0o644},
			"src":              {dir: true},
			"src/main.js":      {content: "console.log(1)\n", mode: 0o644},
			"deep":             {dir: true},
			"deep/er":          {dir: true},
			"deep/er/data.bin": {content: "\x00\x01binary", mode: 0o644},
			"wrapped.txt":      {content: "hello"},
			"run.sh":           {content: "#!/bin/sh\necho hi\n", mode: 0o755},
			"bin":              {dir: true},
			"bin/tool":         {content: "echo tool\n", mode: 0o755},
			"bin/tool.js":      {content: "x", mode: 0o644},
			"empty":            {dir: true},
			"dot":              {dir: true},
			"dot/file":         {content: "d"},
		},
	}, {
		name:  "later entry replaces earlier",
		files: []actord.SourceFile{{Name: "a.txt", Content: "1"}, {Name: "a.txt", Content: "2"}},
		want:  map[string]want{"a.txt": {content: "2"}},
	}, {
		name:    "absolute",
		files:   []actord.SourceFile{{Name: "/etc/evil", Content: "x"}},
		wantErr: "absolute",
	}, {
		name:    "dot dot",
		files:   []actord.SourceFile{{Name: "../evil", Content: "x"}},
		wantErr: "outside",
	}, {
		name:    "dot dot inside",
		files:   []actord.SourceFile{{Name: "a/../../evil", Content: "x"}},
		wantErr: "outside",
	}, {
		name:    "folder dot dot",
		files:   []actord.SourceFile{{Name: "..", Folder: true}},
		wantErr: "outside",
	}, {
		name:    "empty name",
		files:   []actord.SourceFile{{Name: "", Content: "x"}},
		wantErr: "empty name",
	}, {
		name:    "root as file",
		files:   []actord.SourceFile{{Name: ".", Content: "x"}},
		wantErr: "not a file name",
	}, {
		name:    "bad base64",
		files:   []actord.SourceFile{{Name: "x", Format: "BASE64", Content: "!!!"}},
		wantErr: "base64",
	}, {
		name:    "unknown format",
		files:   []actord.SourceFile{{Name: "x", Format: "HEX", Content: "00"}},
		wantErr: "unknown format",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "build")
			err := WriteSourceFiles(dir, tt.files)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
					t.Fatal("a file was written outside the directory")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dir, tt.want, true)
		})
	}
}

// A symlink already in the directory cannot carry a write outside it.
func TestWriteSourceFilesSymlinkInDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "build")
	outside := filepath.Join(parent, "outside")
	for _, d := range []string{dir, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out/x", "rel/x"} {
		if err := WriteSourceFiles(dir, []actord.SourceFile{{Name: name, Content: "x"}}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside: %v", entries)
	}
	// A file named like an existing symlink replaces the link, not its target.
	if err := WriteSourceFiles(dir, []actord.SourceFile{{Name: "rel", Content: "x"}}); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, map[string]want{"rel": {content: "x"}}, false)
}
