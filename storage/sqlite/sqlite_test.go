package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/actord/actord/storage"
	"github.com/actord/actord/storage/sqlite"
	"github.com/actord/actord/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
