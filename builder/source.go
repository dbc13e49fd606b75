package builder

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/actord/actord"
)

// WriteSourceFiles writes inline source files into dir (created when
// missing): Format "TEXT" (or "") content as is, "BASE64" decoded; Folder
// entries create folders. Names are relative paths with "/"; absolute
// names, names with "..", and names that would reach outside dir through
// a symlink are rejected. Scripts (content starting with "#!", or no
// extension inside a bin/ folder) get mode 0755, other files 0644. A
// later entry with the same name replaces an earlier one.
func WriteSourceFiles(dir string, files []actord.SourceFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write source files: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write source files: %w", err)
	}
	defer root.Close()
	for _, f := range files {
		if err := writeSourceFile(root, f); err != nil {
			return fmt.Errorf("source file %q: %w", f.Name, err)
		}
	}
	return nil
}

func writeSourceFile(root *os.Root, f actord.SourceFile) error {
	name, err := cleanRel(f.Name)
	if err != nil {
		return err
	}
	if f.Folder {
		return root.MkdirAll(name, 0o755)
	}
	if name == "." {
		return errors.New("not a file name")
	}
	var data []byte
	switch strings.ToUpper(f.Format) {
	case "", "TEXT":
		data = []byte(f.Content)
	case "BASE64":
		if data, err = decodeBase64(f.Content); err != nil {
			return fmt.Errorf("decode base64 content: %w", err)
		}
	default:
		return fmt.Errorf("unknown format %q (want TEXT or BASE64)", f.Format)
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeRootFile(root, name, data, fileMode(isScript(name, data)))
}

// decodeBase64 accepts standard base64 with or without padding, with line
// breaks or other white space anywhere.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// writeRootFile replaces name below root with a regular file holding data.
// An existing entry is removed first, so a symlink there is never written
// through.
func writeRootFile(root *os.Root, name string, data []byte, mode os.FileMode) error {
	if err := removeEntry(root, name); err != nil {
		return err
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeEntry removes a file or symlink (or empty folder) at name, if any.
func removeEntry(root *os.Root, name string) error {
	if err := root.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
