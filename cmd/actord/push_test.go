package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actord/actord"
)

// writeTree creates files (slash paths → contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fileNames(files []localFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestCollectFiles(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "built-in skips",
			files: map[string]string{
				"main.js":                                     "x",
				".git/config":                                 "x",
				"node_modules/a/index.js":                     "x",
				"packages/b/node_modules/c/index.js":          "x",
				".venv/bin/python":                            "x",
				"storage/key_value_stores/default/INPUT.json": "{}",
				"apify_storage/x":                             "x",
				"crawlee_storage/x":                           "x",
				"lib/sub/.git":                                "gitdir: ../.git/modules/sub\n",
				"src/storage/db.js":                           "x", // only ./storage is local run data
			},
			want: []string{"main.js", "src/storage/db.js"},
		},
		{
			name: ".gitignore and .actorignore",
			files: map[string]string{
				".gitignore":        "dist/\n*.log\n# comment\n/only-root.txt\n",
				".actorignore":      "secret.txt\ndocs\n",
				"main.js":           "x",
				"dist/out.js":       "x",
				"debug.log":         "x",
				"src/deep.log":      "x",
				"only-root.txt":     "x",
				"src/only-root.txt": "x",
				"secret.txt":        "x",
				"docs/a.md":         "x",
			},
			want: []string{".actorignore", ".gitignore", "main.js", "src/only-root.txt"},
		},
		{
			name: "negation",
			files: map[string]string{
				".gitignore":     "*.env\n!keep.env\nbuild/*\n!build/keep.txt\n",
				"a.env":          "x",
				"keep.env":       "x",
				"build/drop.txt": "x",
				"build/keep.txt": "x",
			},
			want: []string{".gitignore", "build/keep.txt", "keep.env"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			files, total, err := collectFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := fileNames(files); !slices.Equal(got, tt.want) {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
			var sum int64
			for _, f := range files {
				sum += int64(len(f.Data))
			}
			if total != sum {
				t.Errorf("total = %d, want %d", total, sum)
			}
		})
	}

	t.Run("symlinks are not regular files", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"main.js": "x"})
		if err := os.Symlink("main.js", filepath.Join(dir, "link.js")); err != nil {
			t.Skip(err)
		}
		files, _, err := collectFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := fileNames(files); !slices.Equal(got, []string{"main.js"}) {
			t.Errorf("files = %q", got)
		}
	})
}

func TestSourceFileFormats(t *testing.T) {
	tests := []struct {
		content    string
		wantFormat string
	}{
		{"console.log('hi')\n", "TEXT"},
		{"", "TEXT"},
		{"héllo 🌍", "TEXT"},
		{"a\x00b", "BASE64"},
		{"\xff\xfe\x00", "BASE64"},
		{"\x89PNG\r\n\x1a\n", "BASE64"},
	}
	for _, tt := range tests {
		got := sourceFiles([]localFile{{Name: "f", Data: []byte(tt.content)}})[0]
		if got.Format != tt.wantFormat {
			t.Errorf("%q: format %s, want %s", tt.content, got.Format, tt.wantFormat)
			continue
		}
		decoded := got.Content
		if got.Format == "BASE64" {
			b, err := base64.StdEncoding.DecodeString(got.Content)
			if err != nil {
				t.Fatal(err)
			}
			decoded = string(b)
		}
		if decoded != tt.content {
			t.Errorf("%q: content round-trips to %q", tt.content, decoded)
		}
	}
}

func TestZipFilesKeepsModes(t *testing.T) {
	archive, err := zipFiles([]localFile{
		{Name: "start.sh", Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		{Name: "src/main.js", Data: []byte("x"), Mode: 0o644},
	})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = f.Mode().Perm().String() + " " + string(b)
	}
	want := map[string]string{"start.sh": "-rwxr-xr-x #!/bin/sh\necho hi\n", "src/main.js": "-rw-r--r-- x"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 3400: "3.4 kB", 5_200_000: "5.2 MB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{".actor/actor.json": `{"actorSpecification":1,"name":"hello","version":"0.0"}`})
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "hello" || m.Version != "0.0" || m.BuildTag != "latest" || m.EnvVars == nil {
		t.Errorf("manifest = %+v", m)
	}

	writeTree(t, dir, map[string]string{".actor/actor.json": `{"actorSpecification":1,"name":"hello","version":"0.1",
		"environmentVariables":{"PLAIN":"v","API_KEY":"@apiKey"}}`})
	if _, err := readManifest(dir); err == nil || !strings.Contains(err.Error(), "API_KEY") || !strings.Contains(err.Error(), "secrets store") {
		t.Errorf("a @secret was not refused clearly: %v", err)
	}

	if _, err := readManifest(t.TempDir()); err == nil || !strings.Contains(err.Error(), ".actor/actor.json") {
		t.Errorf("missing actor.json: %v", err)
	}
}

// actorDir writes a minimal Actor with the given actor.json extras and
// files.
func actorDir(t *testing.T, manifest string, files map[string]string) string {
	dir := t.TempDir()
	all := map[string]string{".actor/actor.json": manifest}
	for k, v := range files {
		all[k] = v
	}
	writeTree(t, dir, all)
	return dir
}

const helloManifest = `{"actorSpecification":1,"name":"hello","version":"0.1","buildTag":"beta","title":"Hello",
	"environmentVariables":{"GREETING":"hi"}}`

// Protocol test: the requests push sends for a new actor with small
// sources.
func TestPushProtocolNewActor(t *testing.T) {
	f := newFakeAPI(t)
	dir := actorDir(t, helloManifest, map[string]string{"main.js": "console.log('hi')\n", "logo.bin": "\x00\x01"})
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"push", dir}, f.env(), &stdout, &stderr); err != nil {
		t.Fatalf("push: %v\n%s", err, stderr.String())
	}
	seq, logs := f.requests()
	assertSeq(t, seq, []string{
		"GET /v2/users/me",
		"GET /v2/acts/alice~hello",
		"POST /v2/acts",
		"GET /v2/acts/ACT1/versions/0.1",
		"PUT /v2/acts/ACT1/versions/0.1",
		"POST /v2/acts/ACT1/builds?tag=beta&version=0.1&waitForFinish=1",
		"GET /v2/actor-builds/BUILD1?waitForFinish=60",
		"GET /v2/actor-builds/BUILD1?waitForFinish=60",
	})
	if !slices.Equal(logs, []string{"GET /v2/logs/BUILD1?stream=1"}) {
		t.Errorf("log requests = %q", logs)
	}

	var create struct {
		Name              string
		Title             string
		Versions          []versionBody
		DefaultRunOptions map[string]any
	}
	if err := json.Unmarshal(seq[2].Body, &create); err != nil || seq[2].ContentType != "application/json" {
		t.Fatalf("create body %s (%v), content type %q", seq[2].Body, err, seq[2].ContentType)
	}
	if create.Name != "hello" || create.Title != "Hello" || len(create.Versions) != 1 ||
		create.Versions[0].VersionNumber != "0.1" || create.Versions[0].BuildTag != "beta" ||
		create.DefaultRunOptions["build"] != "latest" || create.DefaultRunOptions["memoryMbytes"] != 1024.0 ||
		create.DefaultRunOptions["timeoutSecs"] != 3600.0 {
		t.Errorf("create body = %s", seq[2].Body)
	}

	var version versionBody
	if err := json.Unmarshal(seq[4].Body, &version); err != nil {
		t.Fatal(err)
	}
	wantFiles := []actord.SourceFile{
		{Name: ".actor/actor.json", Format: "TEXT", Content: helloManifest},
		{Name: "logo.bin", Format: "BASE64", Content: "AAE="},
		{Name: "main.js", Format: "TEXT", Content: "console.log('hi')\n"},
	}
	if version.VersionNumber != "0.1" || version.SourceType != "SOURCE_FILES" || version.BuildTag != "beta" ||
		version.TarballURL != "" || !slices.Equal(version.SourceFiles, wantFiles) ||
		!slices.Equal(version.EnvVars, []actord.EnvVar{{Name: "GREETING", Value: "hi"}}) {
		t.Errorf("version body = %s", seq[4].Body)
	}

	if got := stdout.String(); got != `{"actId":"ACT1","buildNumber":"0.1.1","id":"BUILD1","status":"SUCCEEDED"}`+"\n" {
		t.Errorf("stdout = %q", got)
	}
	for _, want := range []string{"Creating actor alice/hello…", "Uploading 3 files (", "Building version 0.1…",
		"log of BUILD1", "Build 0.1.1 SUCCEEDED"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	for _, r := range seq {
		if r.Auth != "Bearer "+fakeToken {
			t.Errorf("%s: Authorization %q", r, r.Auth)
		}
	}
}

// Protocol test: an existing actor without the version gets the version
// POSTed; a failed build fails the command after printing the summary.
func TestPushProtocolExistingActorFailedBuild(t *testing.T) {
	f := newFakeAPI(t)
	f.actors["alice~hello"] = "ACT9"
	f.buildStatuses = []string{"FAILED"}
	dir := actorDir(t, `{"actorSpecification":1,"name":"hello","version":"0.2"}`, map[string]string{"main.js": "x"})
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"push", dir}, f.env(), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "FAILED") || !strings.Contains(err.Error(), "BUILD1") {
		t.Errorf("err = %v", err)
	}
	seq, _ := f.requests()
	assertSeq(t, seq, []string{
		"GET /v2/users/me",
		"GET /v2/acts/alice~hello",
		"GET /v2/acts/ACT9/versions/0.2",
		"POST /v2/acts/ACT9/versions",
		"POST /v2/acts/ACT9/builds?tag=latest&version=0.2&waitForFinish=1",
		"GET /v2/actor-builds/BUILD1?waitForFinish=60",
	})
	var version versionBody
	json.Unmarshal(seq[3].Body, &version)
	if version.VersionNumber != "0.2" || version.BuildTag != "latest" || version.EnvVars == nil || len(version.EnvVars) != 0 {
		t.Errorf("version body = %s", seq[3].Body)
	}
	if !strings.Contains(stdout.String(), `"status":"FAILED"`) || !strings.Contains(stderr.String(), "Updating actor alice/hello…") {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

// Protocol test: from 3 MiB of sources on, push uploads a zip to the
// actor's source store and points the version at it.
func TestPushProtocolZipThreshold(t *testing.T) {
	manifest := `{"actorSpecification":1,"name":"big","version":"1.0"}`
	for _, tt := range []struct {
		name   string
		total  int
		zipped bool
	}{
		{"just below", zipThreshold - 1, false},
		{"at threshold", zipThreshold, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.actors["alice~big"] = "ACT1"
			f.versions["ACT1/1.0"] = true
			data := strings.Repeat("a", tt.total-len(manifest))
			dir := actorDir(t, manifest, map[string]string{"data.txt": data})
			var stderr bytes.Buffer
			if err := run(context.Background(), []string{"push", dir}, f.env(), io.Discard, &stderr); err != nil {
				t.Fatalf("push: %v\n%s", err, stderr.String())
			}
			seq, _ := f.requests()
			var want []string
			want = append(want, "GET /v2/users/me", "GET /v2/acts/alice~big")
			if tt.zipped {
				want = append(want, "POST /v2/key-value-stores?name=actor-ACT1-source",
					"PUT /v2/key-value-stores/KVS1/records/version-1.0.zip")
			}
			want = append(want, "GET /v2/acts/ACT1/versions/1.0", "PUT /v2/acts/ACT1/versions/1.0",
				"POST /v2/acts/ACT1/builds?tag=latest&version=1.0&waitForFinish=1",
				"GET /v2/actor-builds/BUILD1?waitForFinish=60", "GET /v2/actor-builds/BUILD1?waitForFinish=60")
			assertSeq(t, seq, want)

			var version versionBody
			if err := json.Unmarshal(seq[len(want)-4].Body, &version); err != nil {
				t.Fatal(err)
			}
			if !tt.zipped {
				if version.SourceType != "SOURCE_FILES" || len(version.SourceFiles) != 2 {
					t.Errorf("version: %s, %d files", version.SourceType, len(version.SourceFiles))
				}
				return
			}
			put := seq[3]
			if put.ContentType != "application/zip" {
				t.Errorf("record content type %q", put.ContentType)
			}
			zr, err := zip.NewReader(bytes.NewReader(put.Body), int64(len(put.Body)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, zf := range zr.File {
				names = append(names, zf.Name)
			}
			if !slices.Equal(names, []string{".actor/actor.json", "data.txt"}) {
				t.Errorf("zip holds %q", names)
			}
			wantURL := f.srv.URL + "/v2/key-value-stores/KVS1/records/version-1.0.zip"
			if version.SourceType != "TARBALL" || version.TarballURL != wantURL || version.SourceFiles != nil {
				t.Errorf("version = %+v, want TARBALL %s", version, wantURL)
			}
			if !strings.Contains(stderr.String(), "as a zip archive") {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}
