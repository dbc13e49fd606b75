package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lines collects log lines.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) WriteLine(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, string(b))
	return nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

// git runs git in dir with a fixed identity.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// newRepo makes a git repository holding files on its main branch.
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "-q")
	commitFiles(t, repo, files)
	return repo
}

func commitFiles(t *testing.T, repo string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "files")
}

func TestParseGitURL(t *testing.T) {
	tests := []struct {
		in                string
		repo, ref, subdir string
		wantErr           bool
	}{
		{in: "https://github.com/a/b.git", repo: "https://github.com/a/b.git"},
		{in: "https://github.com/a/b.git#main", repo: "https://github.com/a/b.git", ref: "main"},
		{in: "https://github.com/a/b.git#main:actors/x/", repo: "https://github.com/a/b.git", ref: "main", subdir: "actors/x"},
		{in: "https://github.com/a/b.git#:actors/x", repo: "https://github.com/a/b.git", subdir: "actors/x"},
		{in: "git@github.com:a/b.git#feat/y", repo: "git@github.com:a/b.git", ref: "feat/y"},
		{in: "/srv/repo#v1.0:.", repo: "/srv/repo", ref: "v1.0"},
		{in: "https://x/y#main:../etc", wantErr: true},
		{in: "https://x/y#--upload-pack=evil", wantErr: true},
		{in: "#main", wantErr: true},
	}
	for _, tt := range tests {
		repo, ref, subdir, err := parseGitURL(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v", tt.in, err)
			continue
		}
		if !tt.wantErr && (repo != tt.repo || ref != tt.ref || subdir != tt.subdir) {
			t.Errorf("%s: %q %q %q, want %q %q %q", tt.in, repo, ref, subdir, tt.repo, tt.ref, tt.subdir)
		}
	}
}

func TestCloneGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := newRepo(t, map[string]string{"main.js": "main branch", "actor/index.js": "main actor"})
	git(t, repo, "checkout", "-q", "-b", "feature")
	commitFiles(t, repo, map[string]string{"main.js": "feature branch", "actor/index.js": "feature actor", "actor/src/a.js": "a"})
	git(t, repo, "tag", "v2")
	git(t, repo, "checkout", "-q", "main")
	bare := filepath.Join(t.TempDir(), "bare.git")
	git(t, filepath.Dir(bare), "clone", "-q", "--bare", repo, bare)

	tests := []struct {
		name    string
		url     string
		want    map[string]want
		wantErr string
	}{
		{name: "default branch", url: repo, want: map[string]want{"main.js": {content: "main branch"}, "actor": {dir: true}, "actor/index.js": {content: "main actor"}}},
		{name: "bare repository", url: bare, want: map[string]want{"main.js": {content: "main branch"}, "actor": {dir: true}, "actor/index.js": {content: "main actor"}}},
		{name: "file URL", url: "file://" + bare + "#feature", want: map[string]want{"main.js": {content: "feature branch"}, "actor": {dir: true}, "actor/index.js": {content: "feature actor"}, "actor/src": {dir: true}, "actor/src/a.js": {content: "a"}}},
		{name: "branch", url: repo + "#feature", want: map[string]want{"main.js": {content: "feature branch"}, "actor": {dir: true}, "actor/index.js": {content: "feature actor"}, "actor/src": {dir: true}, "actor/src/a.js": {content: "a"}}},
		{name: "tag and subdir", url: bare + "#v2:actor", want: map[string]want{"index.js": {content: "feature actor"}, "src": {dir: true}, "src/a.js": {content: "a"}}},
		{name: "branch and subdir", url: repo + "#feature:actor/src/", want: map[string]want{"a.js": {content: "a"}}},
		{name: "subdir of default branch", url: repo + "#:actor", want: map[string]want{"index.js": {content: "main actor"}}},
		{name: "missing branch", url: repo + "#nope", wantErr: "nope"},
		{name: "missing subdir", url: repo + "#:nope", wantErr: `subdirectory "nope" not found`},
		{name: "subdir is a file", url: repo + "#:main.js", wantErr: "not found"},
		{name: "subdir outside", url: repo + "#:../x", wantErr: "outside"},
		{name: "missing repository", url: filepath.Join(t.TempDir(), "nothing"), wantErr: "git clone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "build")
			log := &lines{}
			err := CloneGit(context.Background(), tt.url, dir, log)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("%v\nlog:\n%s", err, log)
				}
				checkTree(t, dir, tt.want, true)
				if !strings.Contains(log.String(), "Cloning into 'repo'") {
					t.Errorf("log has no git output:\n%s", log)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(parent, ".clone-*")); len(left) > 0 {
				t.Errorf("temporary clone left: %v", left)
			}
		})
	}
}

func TestCloneGitRejectsEscapingSymlink(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := newRepo(t, map[string]string{"main.js": "m"})
	if err := os.Symlink("/etc/passwd", filepath.Join(repo, "package.json")); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "link")
	err := CloneGit(context.Background(), repo, filepath.Join(t.TempDir(), "build"), nil)
	if err == nil || !strings.Contains(err.Error(), "absolute") && !strings.Contains(err.Error(), "outside") {
		t.Fatalf("error %v, want the symlink rejected", err)
	}
}

func TestCloneGitCancel(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	repo := newRepo(t, map[string]string{"main.js": "m"})
	if err := CloneGit(ctx, repo, filepath.Join(t.TempDir(), "build"), nil); err == nil {
		t.Fatal("cloned with a cancelled context")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:secret@github.com/a/b.git": "https://xxxxx@github.com/a/b.git",
		"https://ghp_token@github.com/a/b.git":   "https://xxxxx@github.com/a/b.git",
		"https://github.com/a/b.git":             "https://github.com/a/b.git",
		"git@github.com:a/b.git":                 "git@github.com:a/b.git",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
