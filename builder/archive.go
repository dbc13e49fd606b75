package builder

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// maxArchiveBytes caps the total size of the files an archive unpacks to.
// The archive stream itself (decompressed) may be at most twice as large.
var maxArchiveBytes int64 = 1 << 30

// maxLinkTarget bounds a zip symlink entry's content.
const maxLinkTarget = 4096

// ExtractArchive unpacks a zip, a tar or a gzip-compressed tar from r into
// dir (created when missing). The format is detected from the content, not
// from a name. When every entry lives under one single top-level folder
// (GitHub tarballs, `git archive --prefix`), that folder is stripped.
// Entries with absolute names or "..", entries that would be written
// through a symlink, and symlinks that resolve outside dir are rejected;
// the unpacked files may total at most 1 GiB. Files keep their executable
// bit (or get one when they look like scripts, see WriteSourceFiles);
// other modes, owners and times are not kept. Devices and FIFOs are
// skipped. On error dir may hold part of the archive.
func ExtractArchive(r io.Reader, dir string) error {
	if err := extractArchive(r, dir); err != nil {
		return fmt.Errorf("extract archive: %w", err)
	}
	return nil
}

func extractArchive(r io.Reader, dir string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return extractZip(br, dir)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		inner := bufio.NewReaderSize(&capReader{r: zr, n: 2 * maxArchiveBytes}, 64<<10)
		head, err := inner.Peek(512)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("gzip: %w", err)
		}
		if !isTar(head) {
			return errors.New("gzip content is not a tar archive")
		}
		return extractTar(inner, dir)
	case isTar(head):
		return extractTar(&capReader{r: br, n: 2 * maxArchiveBytes}, dir)
	case len(head) == 0:
		return errors.New("empty archive")
	}
	return errors.New("unknown archive format (want zip, tar or gzip-compressed tar)")
}

// isTar reports whether block is a tar header: POSIX/GNU magic, or else a
// valid header checksum (old V7 archives).
func isTar(block []byte) bool {
	if len(block) < 512 {
		return false
	}
	if bytes.Equal(block[257:262], []byte("ustar")) {
		return true
	}
	want, err := strconv.ParseUint(strings.Trim(string(block[148:156]), " \x00"), 8, 64)
	if err != nil {
		return false
	}
	var sum uint64
	for i, b := range block[:512] {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += uint64(b)
	}
	return sum == want
}

// capReader fails once more than n bytes have been read.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

var errTooLarge = fmt.Errorf("archive is larger than %d MiB", maxArchiveBytes>>20)

func extractTar(r io.Reader, dir string) error {
	x, err := newExtractor(dir)
	if err != nil {
		return err
	}
	defer x.root.Close()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// ErrInsecurePath (GODEBUG=tarinsecurepath=0) comes with a usable
		// header; the name is checked below either way.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return fmt.Errorf("tar: %w", err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			err = x.file(hdr.Name, tr, hdr.FileInfo().Mode())
		case tar.TypeDir:
			err = x.mkdir(hdr.Name)
		case tar.TypeSymlink:
			err = x.symlink(hdr.Name, hdr.Linkname)
		case tar.TypeLink:
			err = x.hardlink(hdr.Name, hdr.Linkname)
		default:
			// pax global headers (git archive's commit id), devices, FIFOs.
			continue
		}
		if err != nil {
			return err
		}
	}
	return x.finish()
}

func extractZip(r io.Reader, dir string) error {
	// A zip's directory is at its end: spool it to a file next to dir.
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(parent, ".archive-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, &capReader{r: r, n: 2 * maxArchiveBytes})
	if err != nil {
		return fmt.Errorf("read zip: %w", err)
	}
	zr, err := zip.NewReader(tmp, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("zip: %w", err)
	}
	x, err := newExtractor(dir)
	if err != nil {
		return err
	}
	defer x.root.Close()
	for _, zf := range zr.File {
		if err := x.zipEntry(zf); err != nil {
			return err
		}
	}
	return x.finish()
}

func (x *extractor) zipEntry(zf *zip.File) error {
	// Zips made on Windows may use backslashes.
	name := strings.ReplaceAll(zf.Name, `\`, "/")
	mode := zf.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", zf.Name, err)
		}
		target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget))
		rc.Close()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", zf.Name, err)
		}
		return x.symlink(name, string(target))
	case mode.IsDir() || strings.HasSuffix(name, "/"):
		return x.mkdir(name)
	case mode.IsRegular():
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", zf.Name, err)
		}
		defer rc.Close()
		return x.file(name, rc, mode)
	}
	return nil // devices, FIFOs
}

// extractor writes archive entries below a root and remembers the
// top-level names, to strip a single top-level folder at the end.
type extractor struct {
	dir     string
	root    *os.Root
	written int64
	tops    map[string]bool // top-level name → is a folder
}

func newExtractor(dir string) (*extractor, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &extractor{dir: dir, root: root, tops: map[string]bool{}}, nil
}

// entry checks an entry's name and records its top-level element.
func (x *extractor) entry(name string, isDir bool) (string, error) {
	rel, err := cleanRel(name)
	if err != nil {
		return "", fmt.Errorf("archive entry: %w", err)
	}
	if rel == "." {
		return rel, nil
	}
	top, _, nested := strings.Cut(rel, "/")
	x.tops[top] = x.tops[top] || nested || isDir
	return rel, nil
}

func (x *extractor) mkdir(name string) error {
	rel, err := x.entry(name, true)
	if err != nil || rel == "." {
		return err
	}
	if err := x.root.MkdirAll(rel, 0o755); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	return nil
}

func (x *extractor) parent(rel string) error {
	if dir := path.Dir(rel); dir != "." {
		return x.root.MkdirAll(dir, 0o755)
	}
	return nil
}

func (x *extractor) file(name string, r io.Reader, mode fs.FileMode) error {
	rel, err := x.entry(name, false)
	if err != nil {
		return err
	}
	if rel == "." {
		return fmt.Errorf("archive entry %q: not a file name", name)
	}
	if err := x.writeFile(rel, r, mode); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	return nil
}

func (x *extractor) writeFile(rel string, r io.Reader, mode fs.FileMode) error {
	if err := x.parent(rel); err != nil {
		return err
	}
	if err := removeEntry(x.root, rel); err != nil {
		return err
	}
	f, err := x.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	head := &headWriter{}
	n, err := io.Copy(io.MultiWriter(f, head), io.LimitReader(r, maxArchiveBytes-x.written+1))
	x.written += n
	if err != nil {
		return err
	}
	if x.written > maxArchiveBytes {
		return errTooLarge
	}
	if err := f.Chmod(fileMode(mode&0o111 != 0 || isScript(rel, head.b))); err != nil {
		return err
	}
	return f.Close()
}

// headWriter keeps the first two bytes written to it (for "#!").
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if n := 2 - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (x *extractor) symlink(name, target string) error {
	rel, err := x.entry(name, false)
	if err != nil {
		return err
	}
	if rel == "." {
		return fmt.Errorf("archive entry %q: not a symlink name", name)
	}
	if err := checkLinkTarget(rel, target); err != nil {
		return fmt.Errorf("archive entry: %w", err)
	}
	if err := x.parent(rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if err := removeEntry(x.root, rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if err := x.root.Symlink(target, rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	return nil
}

func (x *extractor) hardlink(name, target string) error {
	rel, err := x.entry(name, false)
	if err != nil {
		return err
	}
	old, err := cleanRel(target)
	if err != nil {
		return fmt.Errorf("archive entry %q: hard link: %w", name, err)
	}
	if rel == "." || old == "." {
		return fmt.Errorf("archive entry %q: bad hard link to %q", name, target)
	}
	if err := x.parent(rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if err := removeEntry(x.root, rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if err := x.root.Link(old, rel); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	return nil
}

// finish strips a single top-level folder and checks every symlink
// against the final layout.
func (x *extractor) finish() error {
	if len(x.tops) == 1 {
		for top, isDir := range x.tops {
			if isDir {
				if err := stripTop(x.dir, top); err != nil {
					return fmt.Errorf("strip top-level folder %q: %w", top, err)
				}
			}
		}
	}
	return checkSymlinks(x.dir)
}

// stripTop moves the content of dir/top up into dir.
func stripTop(dir, top string) error {
	src := filepath.Join(dir, top)
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return nil
	}
	// The folder may hold an entry of its own name: move it aside first.
	aside := filepath.Join(dir, ".strip-"+randomHex())
	if err := os.Rename(src, aside); err != nil {
		return err
	}
	entries, err := os.ReadDir(aside)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(aside, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return os.Remove(aside)
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
