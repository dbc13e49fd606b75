package builder

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/actord/actord/runner"
)

// CloneGit clones a git repository into dir (created when missing; it
// must be empty) with the git binary, depth 1. repoURL may be any URL or
// path git accepts, with an optional fragment "#ref", "#ref:subdir" or
// "#:subdir" (Apify's GIT_REPO syntax; ref is a branch or tag). With a
// subdir only that folder's content ends up in dir. The .git folder is not
// kept. git's output goes to log line by line. git never prompts
// (GIT_TERMINAL_PROMPT=0, ssh in batch mode), and symlinks that resolve
// outside dir are rejected as in ExtractArchive.
func CloneGit(ctx context.Context, repoURL, dir string, log runner.LineWriter) error {
	repo, ref, subdir, err := parseGitURL(repoURL)
	if err != nil {
		return fmt.Errorf("clone %s: %w", redactURL(repoURL), err)
	}
	if err := cloneGit(ctx, repo, ref, subdir, dir, log); err != nil {
		return fmt.Errorf("clone %s: %w", redactURL(repoURL), err)
	}
	return nil
}

// parseGitURL splits Apify's "url#ref:subdir" into its parts; subdir comes
// back cleaned ("" for the repository's root).
func parseGitURL(s string) (repo, ref, subdir string, err error) {
	repo, frag, _ := strings.Cut(s, "#")
	if repo == "" {
		return "", "", "", errors.New("empty repository URL")
	}
	// Refs cannot contain ':' (git check-ref-format), so the first one ends
	// the ref.
	ref, subdir, _ = strings.Cut(frag, ":")
	if strings.HasPrefix(ref, "-") {
		return "", "", "", fmt.Errorf("bad ref %q", ref)
	}
	if subdir = strings.Trim(subdir, "/"); subdir != "" {
		if subdir, err = cleanRel(subdir); err != nil {
			return "", "", "", fmt.Errorf("subdirectory: %w", err)
		}
		if subdir == "." {
			subdir = ""
		}
	}
	return repo, ref, subdir, nil
}

func cloneGit(ctx context.Context, repo, ref, subdir, dir string, log runner.LineWriter) error {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Clone next to dir, so the result can be moved in by renaming.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "repo") // git is told "repo", so the log shows no server paths

	if isLocalPath(repo) {
		// git runs in tmp: a relative path must not change its meaning.
		if repo, err = filepath.Abs(repo); err != nil {
			return err
		}
	}
	args := []string{
		"-c", "protocol.ext.allow=never",
		"clone", "--depth=1", "--no-local", "--progress", "--no-tags",
	}
	if ref != "" {
		args = append(args, "--branch="+ref)
	}
	args = append(args, "--", repo, "repo")
	gitPath, err := lookPath(os.Environ(), "git")
	if err != nil {
		return err
	}
	if err := runLogged(ctx, tmp, gitEnv(), log, gitPath, args...); err != nil {
		return fmt.Errorf("git clone: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(work, ".git")); err != nil {
		return err
	}
	src := work
	if subdir != "" {
		out, err := escapes(work, subdir)
		if err != nil {
			return err
		}
		if out {
			return fmt.Errorf("subdirectory %q points outside the repository", subdir)
		}
		src = filepath.Join(work, filepath.FromSlash(subdir))
		fi, err := os.Stat(src)
		if err != nil || !fi.IsDir() {
			return fmt.Errorf("subdirectory %q not found in the repository", subdir)
		}
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return checkSymlinks(dir)
}

// isLocalPath reports whether git reads repo as a local path: no
// "scheme://" and no scp-like "host:path" (a colon before the first slash).
func isLocalPath(repo string) bool {
	if strings.Contains(repo, "://") {
		return false
	}
	colon := strings.IndexByte(repo, ':')
	slash := strings.IndexByte(repo, '/')
	return colon < 0 || (slash >= 0 && slash < colon)
}

// gitEnv is the server's environment with prompts turned off.
func gitEnv() []string {
	env := append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never")
	if _, ok := os.LookupEnv("GIT_SSH_COMMAND"); !ok {
		env = append(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	return env
}

// redactURL hides the credentials in a repository URL (a token may be the
// user name as well as the password).
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("xxxxx")
		return u.String()
	}
	return s
}
