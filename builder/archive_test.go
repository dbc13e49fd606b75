package builder

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one archive member: a file (default), a folder, a symlink or a
// hard link.
type entry struct {
	name string
	body string
	kind byte // 0: file, 'd', 'l' (symlink), 'h' (hard link)
	link string
	mode int64
}

func makeTar(t *testing.T, entries []entry, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Linkname: e.link}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		switch e.kind {
		case 'd':
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		case 'l':
			hdr.Typeflag = tar.TypeSymlink
		case 'h':
			hdr.Typeflag = tar.TypeLink
		case 'g':
			hdr = &tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "0123456789abcdef"}}
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func makeZip(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := fs.FileMode(e.mode)
		if mode == 0 {
			mode = 0o644
		}
		body := e.body
		switch e.kind {
		case 'd':
			mode = fs.ModeDir | 0o755
		case 'l':
			mode, body = fs.ModeSymlink|0o777, e.link
		}
		fh.SetMode(mode)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractArchive(t *testing.T) {
	topFolder := []entry{
		{kind: 'g'}, // git archive / GitHub tarballs start with a pax global header
		{name: "repo-main/", kind: 'd'},
		{name: "repo-main/package.json", body: `{"scripts":{"start":"node main.js"}}`},
		{name: "repo-main/main.js", body: "console.log(1)"},
		{name: "repo-main/bin/cli", body: "#!/usr/bin/env node\n", mode: 0o755},
		{name: "repo-main/src/", kind: 'd'},
		{name: "repo-main/src/lib.js", body: "lib"},
		{name: "repo-main/link.js", kind: 'l', link: "src/lib.js"},
		{name: "repo-main/hard.js", kind: 'h', link: "repo-main/main.js"},
		{name: "repo-main/repo-main/inner.txt", body: "same name as the top folder"},
	}
	topFolderWant := map[string]want{
		"package.json":        {content: `{"scripts":{"start":"node main.js"}}`, mode: 0o644},
		"main.js":             {content: "console.log(1)", mode: 0o644},
		"bin":                 {dir: true},
		"bin/cli":             {content: "#!/usr/bin/env node\n", mode: 0o755},
		"src":                 {dir: true},
		"src/lib.js":          {content: "lib"},
		"link.js":             {link: "src/lib.js"},
		"hard.js":             {content: "console.log(1)"},
		"repo-main":           {dir: true},
		"repo-main/inner.txt": {content: "same name as the top folder"},
	}
	flat := []entry{
		{name: "./", kind: 'd'},
		{name: "./main.js", body: "m"},
		{name: "./run", body: "#!/bin/sh\n"},
		{name: "./src/x.js", body: "x"}, // no folder entry before it
	}
	flatWant := map[string]want{
		"main.js":  {content: "m", mode: 0o644},
		"run":      {content: "#!/bin/sh\n", mode: 0o755},
		"src":      {dir: true},
		"src/x.js": {content: "x"},
	}
	tests := []struct {
		name    string
		data    func(t *testing.T) []byte
		want    map[string]want
		wantErr string
	}{
		{name: "tar.gz with a top-level folder", data: func(t *testing.T) []byte { return makeTar(t, topFolder, true) }, want: topFolderWant},
		{name: "plain tar with a top-level folder", data: func(t *testing.T) []byte { return makeTar(t, topFolder, false) }, want: topFolderWant},
		{name: "tar.gz without a top-level folder", data: func(t *testing.T) []byte { return makeTar(t, flat, true) }, want: flatWant},
		{
			name: "zip",
			data: func(t *testing.T) []byte {
				return makeZip(t, []entry{
					{name: "main.js", body: "m"},
					{name: "src/", kind: 'd'},
					{name: "src/a.js", body: "a"},
					{name: "tool", body: "binary", mode: 0o755},
					{name: "win\\style.txt", body: "w"},
					{name: "l", kind: 'l', link: "src/a.js"},
				})
			},
			want: map[string]want{
				"main.js":       {content: "m", mode: 0o644},
				"src":           {dir: true},
				"src/a.js":      {content: "a"},
				"tool":          {content: "binary", mode: 0o755},
				"win":           {dir: true},
				"win/style.txt": {content: "w"},
				"l":             {link: "src/a.js"},
			},
		},
		{
			name: "zip with a top-level folder",
			data: func(t *testing.T) []byte {
				return makeZip(t, []entry{{name: "actor/main.js", body: "m"}, {name: "actor/src/a.js", body: "a"}})
			},
			want: map[string]want{"main.js": {content: "m"}, "src": {dir: true}, "src/a.js": {content: "a"}},
		},
		{
			name: "a single top-level file is not stripped",
			data: func(t *testing.T) []byte { return makeTar(t, []entry{{name: "main.js", body: "m"}}, true) },
			want: map[string]want{"main.js": {content: "m"}},
		},
		{name: "tar slip", data: func(t *testing.T) []byte {
			return makeTar(t, []entry{{name: "ok.js"}, {name: "../evil", body: "x"}}, true)
		}, wantErr: "outside"},
		{name: "tar slip inside", data: func(t *testing.T) []byte { return makeTar(t, []entry{{name: "a/../../evil", body: "x"}}, false) }, wantErr: "outside"},
		{name: "tar absolute", data: func(t *testing.T) []byte { return makeTar(t, []entry{{name: "/tmp/evil", body: "x"}}, true) }, wantErr: "absolute"},
		{name: "zip slip", data: func(t *testing.T) []byte { return makeZip(t, []entry{{name: "../evil", body: "x"}}) }, wantErr: "outside"},
		{name: "zip slip backslash", data: func(t *testing.T) []byte { return makeZip(t, []entry{{name: `..\evil`, body: "x"}}) }, wantErr: "outside"},
		{name: "zip absolute", data: func(t *testing.T) []byte { return makeZip(t, []entry{{name: "/evil", body: "x"}}) }, wantErr: "absolute"},
		{name: "symlink absolute", data: func(t *testing.T) []byte { return makeTar(t, []entry{{name: "l", kind: 'l', link: "/etc"}}, true) }, wantErr: "absolute"},
		{name: "symlink outside", data: func(t *testing.T) []byte { return makeTar(t, []entry{{name: "a/l", kind: 'l', link: "../../x"}}, true) }, wantErr: "outside"},
		{name: "zip symlink outside", data: func(t *testing.T) []byte { return makeZip(t, []entry{{name: "l", kind: 'l', link: "../x"}}) }, wantErr: "outside"},
		{
			// Each link alone stays inside; followed one after the other they leave.
			name: "symlink chain outside",
			data: func(t *testing.T) []byte {
				return makeTar(t, []entry{{name: "x", kind: 'l', link: "."}, {name: "y", kind: 'l', link: "x/.."}}, true)
			},
			wantErr: "outside",
		},
		{
			name: "write through a symlink",
			data: func(t *testing.T) []byte {
				return makeTar(t, []entry{{name: "d", kind: 'd'}, {name: "d/l", kind: 'l', link: ".."}, {name: "d/l/l2", kind: 'l', link: ".."}, {name: "d/l/l2/evil", body: "x"}}, true)
			},
			wantErr: "archive entry",
		},
		{
			// Inside before the top folder is stripped, outside after.
			name: "symlink outside after stripping",
			data: func(t *testing.T) []byte {
				return makeTar(t, []entry{{name: "top/a.js", body: "a"}, {name: "top/l", kind: 'l', link: "../top/a.js"}}, true)
			},
			wantErr: "outside",
		},
		{name: "hard link outside", data: func(t *testing.T) []byte {
			return makeTar(t, []entry{{name: "h", kind: 'h', link: "../../etc/passwd"}}, true)
		}, wantErr: "outside"},
		{name: "hard link absolute", data: func(t *testing.T) []byte {
			return makeTar(t, []entry{{name: "h", kind: 'h', link: "/etc/passwd"}}, true)
		}, wantErr: "absolute"},
		{name: "not an archive", data: func(t *testing.T) []byte { return []byte("just some text, long enough to not be anything else") }, wantErr: "unknown archive format"},
		{name: "empty", data: func(t *testing.T) []byte { return nil }, wantErr: "empty archive"},
		{name: "gzip of text", data: func(t *testing.T) []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte("hello"))
			zw.Close()
			return b.Bytes()
		}, wantErr: "not a tar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "build")
			err := ExtractArchive(bytes.NewReader(tt.data(t)), dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if _, err := os.Lstat(filepath.Join(parent, "evil")); err == nil {
					t.Fatal("a file was written outside the directory")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dir, tt.want, true)
			if spooled, _ := filepath.Glob(filepath.Join(parent, ".archive-*")); len(spooled) > 0 {
				t.Errorf("temporary files left: %v", spooled)
			}
		})
	}
}

func TestExtractArchiveSizeCap(t *testing.T) {
	defer func(n int64) { maxArchiveBytes = n }(maxArchiveBytes)
	maxArchiveBytes = 1000
	big := strings.Repeat("x", 600)
	for name, data := range map[string][]byte{
		"tar.gz": makeTar(t, []entry{{name: "a", body: big}, {name: "b", body: big}}, true),
		"zip":    makeZip(t, []entry{{name: "a", body: big}, {name: "b", body: big}}),
	} {
		t.Run(name, func(t *testing.T) {
			err := ExtractArchive(bytes.NewReader(data), filepath.Join(t.TempDir(), "build"))
			if err == nil || !strings.Contains(err.Error(), "larger than") {
				t.Fatalf("error %v, want the size cap", err)
			}
		})
	}
	// Exactly at the cap is fine.
	data := makeTar(t, []entry{{name: "a", body: big}, {name: "b", body: big[:400]}}, true)
	if err := ExtractArchive(bytes.NewReader(data), filepath.Join(t.TempDir(), "build")); err != nil {
		t.Fatal(err)
	}
}

// A real `git archive --prefix` tarball is unpacked without its prefix.
func TestExtractArchiveGitArchive(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := newRepo(t, map[string]string{"main.js": "m", "src/a.js": "a"})
	out, err := exec.Command("git", "-C", repo, "archive", "--format=tar.gz", "--prefix=actor-1.0/", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "build")
	if err := ExtractArchive(bytes.NewReader(out), dir); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, map[string]want{"main.js": {content: "m"}, "src": {dir: true}, "src/a.js": {content: "a"}}, true)
}
