// Package storagetest is the conformance suite every storage driver
// passes: Run(t, newStore).
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Run("DatasetWindows", func(t *testing.T) { testDatasetWindows(t, newStore(t)) })
	t.Run("DatasetSchema", func(t *testing.T) { testDatasetSchema(t, newStore(t)) })
	t.Run("StorageNames", func(t *testing.T) { testStorageNames(t, newStore(t)) })
	t.Run("RecordKeys", func(t *testing.T) { testRecordKeys(t, newStore(t)) })
	t.Run("QueueLocks", func(t *testing.T) { testQueueLocks(t, newStore(t)) })
	t.Run("Actors", func(t *testing.T) { testActors(t, newStore(t)) })
	t.Run("Builds", func(t *testing.T) { testBuilds(t, newStore(t)) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, newStore(t)) })
	t.Run("RunCreate", func(t *testing.T) { testRunCreate(t, newStore(t)) })
	t.Run("RunIdempotencyKey", func(t *testing.T) { testRunIdempotencyKey(t, newStore(t)) })
	t.Run("Tasks", func(t *testing.T) { testTasks(t, newStore(t)) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, newStore(t)) })
	t.Run("WebhookDispatches", func(t *testing.T) { testWebhookDispatches(t, newStore(t)) })
}

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func setup(t *testing.T, s storage.Store, kind actord.StorageKind, name string) (*actord.User, *actord.Storage) {
	t.Helper()
	ctx := context.Background()
	u := &actord.User{ID: actord.NewID(), Username: "u" + actord.RandomString(6), CreatedAt: now}
	if err := s.UserInsert(ctx, u); err != nil {
		t.Fatal(err)
	}
	st := &actord.Storage{ID: actord.NewID(), Kind: kind, UserID: u.ID, Name: name, GeneralAccess: actord.AccessRestricted, CreatedAt: now, ModifiedAt: now, AccessedAt: now}
	if err := s.StorageInsert(ctx, st); err != nil {
		t.Fatal(err)
	}
	return u, st
}

func testDatasetWindows(t *testing.T, s storage.Store) {
	ctx := context.Background()
	_, ds := setup(t, s, actord.KindDataset, "")
	_, other := setup(t, s, actord.KindDataset, "")
	// 23 items pushed in batches of 1, 5, 7 and 10 so windows cross chunks.
	n := 0
	for _, size := range []int{1, 5, 7, 10} {
		var items [][]byte
		for range size {
			items = append(items, []byte(fmt.Sprintf(`{"i":%d}`, n)))
			n++
		}
		total, err := s.DatasetItemsAppend(ctx, &storage.DatasetItemsAppendParams{DatasetID: ds.ID, Items: items, Now: now})
		if err != nil || total != int64(n) {
			t.Fatalf("append: total %d, %v", total, err)
		}
	}
	tests := []struct {
		offset, limit int64
		desc          bool
		want          []int
	}{
		{0, -1, false, seq(0, 23)},
		{0, -1, true, rev(seq(0, 23))},
		{3, 4, false, seq(3, 7)},
		{5, 8, false, seq(5, 13)},
		{6, 0, false, nil},
		{22, 10, false, []int{22}},
		{23, 10, false, nil},
		{100, -1, false, nil},
		{0, 3, true, []int{22, 21, 20}},
		{4, 5, true, rev(seq(14, 19))},
		{20, 10, true, []int{2, 1, 0}},
		{23, 10, true, nil},
	}
	for _, tt := range tests {
		c, err := s.DatasetItems(ctx, &storage.DatasetItemsParams{DatasetID: ds.ID, Offset: tt.offset, Limit: tt.limit, Desc: tt.desc})
		if err != nil {
			t.Fatal(err)
		}
		read := func() []int {
			var got []int
			for {
				it, err := c.Next()
				if err == io.EOF {
					return got
				}
				if err != nil {
					t.Fatal(err)
				}
				var i int
				fmt.Sscanf(string(it), `{"i":%d}`, &i)
				got = append(got, i)
			}
		}
		got := read()
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || c.Total != 23 || c.Count != int64(len(tt.want)) {
			t.Errorf("offset %d limit %d desc %v: got %v (total %d, count %d), want %v", tt.offset, tt.limit, tt.desc, got, c.Total, c.Count, tt.want)
		}
		// A second pass after Rewind sees the same window of the same
		// snapshot, even after a push in between (the tabular exports
		// read the window twice).
		if _, err := s.DatasetItemsAppend(ctx, &storage.DatasetItemsAppendParams{DatasetID: other.ID, Items: [][]byte{[]byte(`{"i":-1}`)}, Now: now}); err != nil {
			t.Fatal(err)
		}
		if err := c.Rewind(); err != nil {
			t.Fatal(err)
		}
		if again := read(); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("offset %d limit %d desc %v: after Rewind got %v, want %v", tt.offset, tt.limit, tt.desc, again, got)
		}
		c.Close()
	}
	// Rewind keeps the snapshot even when the same dataset grows meanwhile.
	c, err := s.DatasetItems(ctx, &storage.DatasetItemsParams{DatasetID: ds.ID, Offset: 1, Limit: 2, Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := c.Next()
	first = append([]byte(nil), first...)
	if _, err := s.DatasetItemsAppend(ctx, &storage.DatasetItemsAppendParams{DatasetID: ds.ID, Items: [][]byte{[]byte(`{"i":23}`)}, Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rewind(); err != nil {
		t.Fatal(err)
	}
	if again, err := c.Next(); err != nil || string(again) != string(first) || string(first) != `{"i":21}` {
		t.Errorf("after a push and Rewind: first item %s (%v), before %s, want {\"i\":21}", again, err, first)
	}
	c.Close()
	if _, err := s.DatasetItems(ctx, &storage.DatasetItemsParams{DatasetID: "missing", Limit: -1}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing dataset: %v", err)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func rev(s []int) []int {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

func testStorageNames(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, ds := setup(t, s, actord.KindDataset, "taken")
	other := &actord.Storage{ID: actord.NewID(), Kind: actord.KindDataset, UserID: u.ID, Name: "taken", GeneralAccess: actord.AccessRestricted, CreatedAt: now, ModifiedAt: now, AccessedAt: now}
	if err := s.StorageInsert(ctx, other); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	other.Kind = actord.KindKeyValueStore // the same name in another collection is fine
	if err := s.StorageInsert(ctx, other); err != nil {
		t.Errorf("same name, other kind: %v", err)
	}
	got, err := s.StorageGetByName(ctx, actord.KindDataset, u.ID, "taken")
	if err != nil || got.ID != ds.ID || got.Username != u.Username {
		t.Errorf("get by name: %+v, %v", got, err)
	}
	if err := s.StorageDelete(ctx, actord.KindDataset, ds.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StorageGet(ctx, actord.KindDataset, ds.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
}

func testRecordKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()
	_, kv := setup(t, s, actord.KindKeyValueStore, "")
	for _, k := range []string{"b", "a", "c-1", "c-2", "Z"} {
		if err := s.RecordPut(ctx, &actord.Record{StoreID: kv.ID, Key: k, ContentType: "text/plain", Value: []byte(k + k)}, now); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	start := ""
	for {
		page, err := s.RecordKeys(ctx, &storage.RecordKeysParams{StoreID: kv.ID, ExclusiveStartKey: start, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Items {
			all = append(all, k.Key)
		}
		if !page.IsTruncated {
			break
		}
		start = page.Items[len(page.Items)-1].Key
	}
	if fmt.Sprint(all) != "[Z a b c-1 c-2]" {
		t.Errorf("keys = %v", all)
	}
	page, err := s.RecordKeys(ctx, &storage.RecordKeysParams{StoreID: kv.ID, Prefix: "c-", Limit: 10})
	if err != nil || len(page.Items) != 2 || page.Items[0].Size != 6 {
		t.Errorf("prefix: %+v, %v", page, err)
	}
	if err := s.RecordDelete(ctx, kv.ID, "a", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordGet(ctx, kv.ID, "a"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
}

func testQueueLocks(t *testing.T, s storage.Store) {
	ctx := context.Background()
	_, q := setup(t, s, actord.KindRequestQueue, "")
	var reqs []*actord.Request
	for i := range 100 {
		key := fmt.Sprintf("https://example.com/%d", i)
		id := actord.RequestIDFromUniqueKey(key)
		reqs = append(reqs, &actord.Request{ID: id, UniqueKey: key, URL: key, Method: "GET", JSON: []byte(`{"id":"` + id + `"}`)})
	}
	if _, err := s.RequestsAdd(ctx, &storage.RequestsAddParams{QueueID: q.ID, ClientKey: "a", Requests: reqs, Now: now}); err != nil {
		t.Fatal(err)
	}
	// Eight clients lock concurrently: every request is handed out once.
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := fmt.Sprintf("client%d", c)
			for {
				h, err := s.QueueHeadLock(ctx, &storage.QueueHeadParams{QueueID: q.ID, ClientKey: client, Limit: 3, LockSecs: 60, Now: now})
				if err != nil {
					t.Error(err)
					return
				}
				if len(h.Items) == 0 {
					return
				}
				mu.Lock()
				for _, r := range h.Items {
					if prev, ok := seen[r.ID]; ok {
						t.Errorf("request %s locked by %s and %s", r.ID, prev, client)
					}
					seen[r.ID] = client
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("%d requests locked, want 100", len(seen))
	}
	id := reqs[0].ID
	owner := seen[id]
	if _, err := s.RequestLockProlong(ctx, &storage.RequestLockParams{QueueID: q.ID, RequestID: id, ClientKey: "intruder", LockSecs: 10, Now: now}); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("prolong by another client: %v, want ErrConflict", err)
	}
	if _, err := s.RequestLockProlong(ctx, &storage.RequestLockParams{QueueID: q.ID, RequestID: id, ClientKey: owner, LockSecs: 10, Now: now}); err != nil {
		t.Errorf("prolong by owner: %v", err)
	}
	// Expired locks are handed out again.
	later := now.Add(2 * time.Minute)
	h, err := s.QueueHeadLock(ctx, &storage.QueueHeadParams{QueueID: q.ID, ClientKey: "late", Limit: 25, LockSecs: 60, Now: later})
	if err != nil || len(h.Items) != 25 || !h.HadMultipleClients {
		t.Errorf("after expiry: %d items, multi %v, %v", len(h.Items), h != nil && h.HadMultipleClients, err)
	}
	n, err := s.QueueUnlock(ctx, q.ID, "late", later)
	if err != nil || n != 25 {
		t.Errorf("unlock: %d, %v", n, err)
	}
	// Handling a request removes it from the head.
	handled := later
	r := *reqs[1]
	r.HandledAt = &handled
	if _, err := s.RequestUpdate(ctx, &storage.RequestUpdateParams{QueueID: q.ID, ClientKey: "late", Request: &r, Now: later}); err != nil {
		t.Fatal(err)
	}
	st, err := s.StorageGet(ctx, actord.KindRequestQueue, q.ID)
	if err != nil || st.TotalRequestCount != 100 || st.HandledRequestCount != 1 {
		t.Errorf("counts: %+v, %v", st, err)
	}
	head, err := s.QueueHead(ctx, &storage.QueueHeadParams{QueueID: q.ID, Limit: 1000, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range head.Items {
		if it.ID == r.ID {
			t.Error("handled request still in the head")
		}
	}
	if len(head.Items) != 99 {
		t.Errorf("head has %d requests, want 99", len(head.Items))
	}
}

func testDatasetSchema(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u, plain := setup(t, s, actord.KindDataset, "")
	schema := []byte(`{"views":{"overview":{"transformation":{"fields":["b","a"]}}}}`)
	ds := &actord.Storage{ID: actord.NewID(), Kind: actord.KindDataset, UserID: u.ID, GeneralAccess: actord.AccessRestricted,
		CreatedAt: now, ModifiedAt: now, AccessedAt: now, Schema: schema}
	if err := s.StorageInsert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.StorageGet(ctx, actord.KindDataset, ds.ID)
	if err != nil || string(got.Schema) != string(schema) {
		t.Errorf("schema read back as %s (%v), want %s", got.Schema, err, schema)
	}
	if got, err := s.StorageGet(ctx, actord.KindDataset, plain.ID); err != nil || got.Schema != nil {
		t.Errorf("dataset without schema reads back %q (%v), want nil", got.Schema, err)
	}
}
