package main

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	ignore "github.com/sabhiram/go-gitignore"
	"github.com/spf13/cobra"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
)

// zipThreshold is the total source size from which push uploads a zip to a
// key-value store instead of inline source files (Apify CLI's
// MAX_MULTIFILE_BYTES).
const zipThreshold = 3 << 20

func newPushCmd(getenv func(string) string, dataDir *string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push [DIR]",
		Short: "Upload an Actor's source (DIR, default .) as a version and build it, like `apify push`",
		Long: "Reads DIR/.actor/actor.json (name, version, buildTag, title, description, environmentVariables),\n" +
			"creates the actor when it does not exist, uploads the files as the version's source and builds it.\n" +
			"The build log goes to stderr; the final build (id, buildNumber, status) to stdout as one JSON line.",
		Args: cobra.MaximumNArgs(1),
	}
	flags := addClientFlags(cmd, getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir := "."
		if len(args) == 1 {
			dir = args[0]
		}
		c, err := flags.client(getenv, *dataDir)
		if err != nil {
			return err
		}
		return push(cmd.Context(), c, dir, stdout, stderr)
	}
	return cmd
}

// pushManifest is what push takes from .actor/actor.json.
type pushManifest struct {
	Name, Version, BuildTag, Title, Description string
	EnvVars                                     []actord.EnvVar
}

func readManifest(dir string) (*pushManifest, error) {
	path := filepath.Join(dir, ".actor", "actor.json")
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s not found: push needs an Actor directory with .actor/actor.json", path)
		}
		return nil, fmt.Errorf("read actor definition: %w", err)
	}
	m, err := actorjson.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("read actor definition in %s: %w", dir, err)
	}
	if m == nil || m.Name == "" {
		return nil, fmt.Errorf("%s has no \"name\"", path)
	}
	env := []actord.EnvVar{}
	for _, v := range m.EnvironmentVariables {
		if v.IsSecret || strings.HasPrefix(v.Value, "@") {
			return nil, fmt.Errorf("%s: environment variable %s refers to the secret %q; actord has no secrets store, so put the value itself in actor.json (or set it on the version through the API)",
				path, v.Name, v.Value)
		}
		env = append(env, actord.EnvVar{Name: v.Name, Value: v.Value})
	}
	return &pushManifest{
		Name:        m.Name,
		Version:     cmp.Or(m.Version, "0.0"),
		BuildTag:    cmp.Or(m.BuildTag, "latest"),
		Title:       m.Title,
		Description: m.Description,
		EnvVars:     env,
	}, nil
}

// localFile is one file of the source, its path relative to the Actor
// directory with slashes.
type localFile struct {
	Name string
	Data []byte
	Mode fs.FileMode
}

// Directories never uploaded: skipAnywhere at any depth, skipAtRoot only at
// the top (a src/storage/ package is source; ./storage is local run data).
var (
	skipAnywhere = map[string]bool{".git": true, "node_modules": true, ".venv": true}
	skipAtRoot   = map[string]bool{"storage": true, "apify_storage": true, "crawlee_storage": true}
)

// ignoreRules are the root-level .gitignore and .actorignore of a source
// directory; a path either of them excludes is not uploaded.
type ignoreRules struct {
	sets []*ignore.GitIgnore
	// negated: some pattern re-includes ("!…"), so a matching directory is
	// still walked and its files are tested one by one.
	negated bool
}

func loadIgnoreRules(dir string) (*ignoreRules, error) {
	r := &ignoreRules{}
	for _, name := range []string{".gitignore", ".actorignore"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		lines := strings.Split(string(b), "\n")
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "!") {
				r.negated = true
			}
		}
		r.sets = append(r.sets, ignore.CompileIgnoreLines(lines...))
	}
	return r, nil
}

func (r *ignoreRules) match(rel string) bool {
	for _, s := range r.sets {
		if s.MatchesPath(rel) {
			return true
		}
	}
	return false
}

// collectFiles returns the regular files under dir that push uploads, in
// lexical order, and their total size.
func collectFiles(dir string) ([]localFile, int64, error) {
	rules, err := loadIgnoreRules(dir)
	if err != nil {
		return nil, 0, err
	}
	var files []localFile
	var total int64
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipAnywhere[d.Name()] || skipAtRoot[rel] || (!rules.negated && rules.match(rel+"/")) {
				return filepath.SkipDir
			}
			return nil
		}
		// A submodule's .git is a file.
		if !d.Type().IsRegular() || d.Name() == ".git" || rules.match(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, localFile{Name: rel, Data: data, Mode: info.Mode()})
		total += int64(len(data))
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("collect source files: %w", err)
	}
	return files, total, nil
}

// sourceFiles converts files to a version's inline source: TEXT when the
// content is valid UTF-8 without NUL bytes, else BASE64.
func sourceFiles(files []localFile) []actord.SourceFile {
	out := make([]actord.SourceFile, 0, len(files))
	for _, f := range files {
		if utf8.Valid(f.Data) && bytes.IndexByte(f.Data, 0) < 0 {
			out = append(out, actord.SourceFile{Name: f.Name, Format: "TEXT", Content: string(f.Data)})
		} else {
			out = append(out, actord.SourceFile{Name: f.Name, Format: "BASE64", Content: base64.StdEncoding.EncodeToString(f.Data)})
		}
	}
	return out
}

// zipFiles packs files into a zip archive, keeping their permission bits
// (an executable start script stays executable).
func zipFiles(files []localFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		h.SetMode(f.Mode.Perm())
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}

// formatSize prints n bytes the way the progress lines do: "512 B",
// "3.4 kB", "5.2 MB".
func formatSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1000*1000))
	}
}

// versionBody is the version object push creates or updates.
type versionBody struct {
	VersionNumber string              `json:"versionNumber"`
	SourceType    string              `json:"sourceType"`
	SourceFiles   []actord.SourceFile `json:"sourceFiles,omitempty"`
	TarballURL    string              `json:"tarballUrl,omitempty"`
	BuildTag      string              `json:"buildTag"`
	EnvVars       []actord.EnvVar     `json:"envVars"`
}

// push uploads the Actor in dir and builds it, following Apify CLI's
// request sequence (users/me, get-or-create the actor, upload, create or
// update the version, build, log, poll).
func push(ctx context.Context, c *apiClient, dir string, stdout, stderr io.Writer) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	files, total, err := collectFiles(dir)
	if err != nil {
		return err
	}

	username, err := c.me(ctx)
	if err != nil {
		return err
	}
	var act struct {
		ID string `json:"id"`
	}
	err = c.getJSON(ctx, "/v2/acts/"+url.PathEscape(username+"~"+m.Name), nil, &act)
	switch {
	case isNotFound(err):
		fmt.Fprintf(stderr, "Creating actor %s/%s…\n", username, m.Name)
		body := map[string]any{
			"name": m.Name,
			"versions": []versionBody{{
				VersionNumber: m.Version, SourceType: actord.SourceFiles, SourceFiles: []actord.SourceFile{},
				BuildTag: m.BuildTag, EnvVars: m.EnvVars,
			}},
			"defaultRunOptions": map[string]any{"build": "latest", "memoryMbytes": 1024, "timeoutSecs": 3600},
		}
		if m.Title != "" {
			body["title"] = m.Title
		}
		if m.Description != "" {
			body["description"] = m.Description
		}
		if err := c.sendJSON(ctx, http.MethodPost, "/v2/acts", nil, body, &act); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		fmt.Fprintf(stderr, "Updating actor %s/%s…\n", username, m.Name)
	}
	if act.ID == "" {
		return errors.New("the actor object has no id")
	}
	actPath := "/v2/acts/" + url.PathEscape(act.ID)

	version := versionBody{VersionNumber: m.Version, BuildTag: m.BuildTag, EnvVars: m.EnvVars}
	if total < zipThreshold {
		fmt.Fprintf(stderr, "Uploading %d files (%s)…\n", len(files), formatSize(total))
		version.SourceType = actord.SourceFiles
		version.SourceFiles = sourceFiles(files)
	} else {
		fmt.Fprintf(stderr, "Uploading %d files (%s) as a zip archive…\n", len(files), formatSize(total))
		archive, err := zipFiles(files)
		if err != nil {
			return err
		}
		var store struct {
			ID string `json:"id"`
		}
		err = c.do(ctx, request{method: http.MethodPost, path: "/v2/key-value-stores",
			query: url.Values{"name": {"actor-" + act.ID + "-source"}}}, &store)
		if err != nil {
			return err
		}
		if store.ID == "" {
			return errors.New("the key-value store object has no id")
		}
		recordPath := "/v2/key-value-stores/" + url.PathEscape(store.ID) + "/records/" + url.PathEscape("version-"+m.Version+".zip")
		err = c.do(ctx, request{method: http.MethodPut, path: recordPath, contentType: "application/zip", body: archive}, nil)
		if err != nil {
			return err
		}
		version.SourceType = actord.SourceTarball
		version.TarballURL = c.base + recordPath
	}

	versionPath := actPath + "/versions/" + url.PathEscape(m.Version)
	err = c.getJSON(ctx, versionPath, nil, &json.RawMessage{})
	switch {
	case err == nil:
		err = c.sendJSON(ctx, http.MethodPut, versionPath, nil, version, nil)
	case isNotFound(err):
		err = c.sendJSON(ctx, http.MethodPost, actPath+"/versions", nil, version, nil)
	}
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "Building version %s…\n", m.Version)
	build := &job{}
	err = c.do(ctx, request{method: http.MethodPost, path: actPath + "/builds",
		query: url.Values{"version": {m.Version}, "tag": {m.BuildTag}, "waitForFinish": {"1"}}}, build)
	if err != nil {
		return err
	}
	if build.ID == "" {
		return errors.New("the build object has no id")
	}
	fmt.Fprintf(stderr, "Build %s started (ID %s)\n", build.BuildNumber, build.ID)
	build, err = c.follow(ctx, "/v2/actor-builds", build, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Build %s %s\n", build.BuildNumber, build.Status)
	summary, _ := json.Marshal(map[string]string{
		"id": build.ID, "actId": act.ID, "buildNumber": build.BuildNumber, "status": build.Status,
	})
	fmt.Fprintf(stdout, "%s\n", summary)
	if build.Status != actord.StatusSucceeded {
		return fmt.Errorf("build %s (ID %s) %s", build.BuildNumber, build.ID, build.Status)
	}
	return nil
}
