package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/actord/actord/storage"
)

func (db *DB) DatasetItemsAppend(ctx context.Context, p *storage.DatasetItemsAppendParams) (int64, error) {
	if len(p.Items) == 0 {
		var n int64
		err := db.r.QueryRowContext(ctx, `SELECT item_count FROM storages WHERE id = ? AND kind = 'dataset'`, p.DatasetID).Scan(&n)
		return n, interpretError(err)
	}
	data := bytes.Join(p.Items, []byte{'\n'})
	var total int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var first int64
		if err := tx.QueryRowContext(ctx, `SELECT item_count FROM storages WHERE id = ? AND kind = 'dataset'`, p.DatasetID).Scan(&first); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_chunks (dataset_id, first_idx, n, data) VALUES (?, ?, ?, ?)`,
			p.DatasetID, first, len(p.Items), data); err != nil {
			return err
		}
		total = first + int64(len(p.Items))
		_, err := tx.ExecContext(ctx, `UPDATE storages SET item_count = ?, storage_bytes = storage_bytes + ?, modified_at = ?, accessed_at = ? WHERE id = ?`,
			total, len(data), ms(p.Now), ms(p.Now), p.DatasetID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("append %d items to dataset %s: %w", len(p.Items), p.DatasetID, err)
	}
	return total, nil
}

func (db *DB) DatasetItems(ctx context.Context, p *storage.DatasetItemsParams) (*storage.ItemCursor, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, interpretError(err)
	}
	c, err := openItemCursor(ctx, tx, p)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return c, nil
}

// window returns the half-open index range [lo, hi) that offset/limit/desc
// select from a dataset of total items.
func window(total, offset, limit int64, desc bool) (lo, hi int64) {
	offset = min(max(offset, 0), total)
	if !desc {
		lo, hi = offset, total
		if limit >= 0 {
			hi = min(total, lo+limit)
		}
		return lo, hi
	}
	lo, hi = 0, total-offset
	if limit >= 0 {
		lo = max(0, hi-limit)
	}
	return lo, hi
}

type itemCursor struct {
	ctx       context.Context
	tx        *sql.Tx
	datasetID string
	rows      *sql.Rows
	// The window's chunks are read ahead by a goroutine (prefetch), so
	// SQLite's reads overlap with the caller formatting and sending the
	// previous chunk's items.
	chunks       chan chunkRead
	stop         chan struct{}
	prefetchDone chan struct{}
	desc         bool
	lo           int64
	hi           int64

	// The chunk being read: its first index and the item boundaries.
	chunkFirst int64
	chunk      []byte
	bounds     []int // item i is chunk[bounds[i]:bounds[i+1]-1] (the last one without the -1)
	pos        int   // next item within the chunk (counts down when desc)
	done       int64 // items returned
}

func openItemCursor(ctx context.Context, tx *sql.Tx, p *storage.DatasetItemsParams) (*storage.ItemCursor, error) {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT item_count FROM storages WHERE id = ? AND kind = 'dataset'`, p.DatasetID).Scan(&total); err != nil {
		return nil, interpretError(err)
	}
	c := &itemCursor{ctx: ctx, tx: tx, datasetID: p.DatasetID, desc: p.Desc}
	c.lo, c.hi = window(total, p.Offset, p.Limit, p.Desc)
	if err := c.query(); err != nil {
		return nil, err
	}
	return &storage.ItemCursor{Total: total, Count: c.hi - c.lo, Next: c.next, Rewind: c.rewind, Close: c.close}, nil
}

// query starts reading the window's chunks.
func (c *itemCursor) query() error {
	if c.hi <= c.lo {
		return nil
	}
	var err error
	if c.desc {
		c.rows, err = c.tx.QueryContext(c.ctx, `SELECT first_idx, data FROM dataset_chunks
			WHERE dataset_id = ? AND first_idx < ? ORDER BY first_idx DESC`, c.datasetID, c.hi)
	} else {
		var start int64
		err = c.tx.QueryRowContext(c.ctx, `SELECT first_idx FROM dataset_chunks WHERE dataset_id = ? AND first_idx <= ?
			ORDER BY first_idx DESC LIMIT 1`, c.datasetID, c.lo).Scan(&start)
		if err == nil {
			c.rows, err = c.tx.QueryContext(c.ctx, `SELECT first_idx, data FROM dataset_chunks
				WHERE dataset_id = ? AND first_idx >= ? AND first_idx < ? ORDER BY first_idx`, c.datasetID, start, c.hi)
		}
	}
	if err != nil {
		return fmt.Errorf("read items of dataset %s: %w", c.datasetID, interpretError(err))
	}
	c.chunks, c.stop, c.prefetchDone = make(chan chunkRead, 1), make(chan struct{}), make(chan struct{})
	go c.prefetch(c.rows, c.chunks, c.stop, c.prefetchDone)
	return nil
}

// chunkRead is one chunk read ahead, or the error that ended reading.
type chunkRead struct {
	first int64
	data  []byte
	err   error
}

// prefetch reads chunks until the rows end, an error, or stop. At most
// three chunks are in memory: the one being read, one queued and the one
// the caller is using (a chunk is at most one push: 9 MiB).
func (c *itemCursor) prefetch(rows *sql.Rows, out chan<- chunkRead, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer close(out)
	for rows.Next() {
		var r chunkRead
		if r.err = rows.Scan(&r.first, &r.data); r.err != nil {
			r.err = fmt.Errorf("read dataset chunk: %w", r.err)
		}
		select {
		case out <- r:
		case <-stop:
			return
		}
		if r.err != nil {
			return
		}
	}
	err := errors.New("dataset chunks end before the item count")
	if rows.Err() != nil {
		err = fmt.Errorf("read dataset items: %w", rows.Err())
	}
	select {
	case out <- chunkRead{err: err}:
	case <-stop:
	}
}

// stopPrefetch stops the reader goroutine and closes its rows.
func (c *itemCursor) stopPrefetch() error {
	if c.rows == nil {
		return nil
	}
	close(c.stop)
	<-c.prefetchDone
	err := c.rows.Close()
	c.rows = nil
	return err
}

// rewind restarts the window from the same snapshot (the read transaction
// stays open), so a second pass sees exactly the same items.
func (c *itemCursor) rewind() error {
	if err := c.stopPrefetch(); err != nil {
		return fmt.Errorf("rewind items of dataset %s: %w", c.datasetID, err)
	}
	c.chunk, c.bounds, c.pos, c.done = nil, c.bounds[:0], 0, 0
	return c.query()
}

func (c *itemCursor) next() ([]byte, error) {
	if c.done >= c.hi-c.lo {
		return nil, io.EOF
	}
	for {
		if c.chunk != nil {
			if item := c.take(); item != nil {
				c.done++
				return item, nil
			}
		}
		if err := c.loadChunk(); err != nil {
			return nil, err
		}
	}
}

// take returns the chunk's next item inside the window, or nil when the
// chunk has no more.
func (c *itemCursor) take() []byte {
	n := len(c.bounds) - 1
	for c.pos >= 0 && c.pos < n {
		i := c.pos
		idx := c.chunkFirst + int64(i)
		if c.desc {
			c.pos--
		} else {
			c.pos++
		}
		if idx < c.lo || idx >= c.hi {
			continue
		}
		end := c.bounds[i+1]
		if i+1 < n {
			end-- // drop the '\n' separator
		}
		return c.chunk[c.bounds[i]:end]
	}
	return nil
}

func (c *itemCursor) loadChunk() error {
	if c.rows == nil {
		return errors.New("read dataset items: no chunks in the window")
	}
	r, ok := <-c.chunks
	if !ok {
		return errors.New("read dataset items: read past the end")
	}
	if r.err != nil {
		return r.err
	}
	c.chunkFirst, c.chunk = r.first, r.data
	c.bounds = c.bounds[:0]
	c.bounds = append(c.bounds, 0)
	for off := 0; ; {
		i := bytes.IndexByte(c.chunk[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		c.bounds = append(c.bounds, off)
	}
	c.bounds = append(c.bounds, len(c.chunk))
	if c.desc {
		c.pos = len(c.bounds) - 2
		// skip items at or beyond hi quickly
		if over := c.chunkFirst + int64(c.pos) - (c.hi - 1); over > 0 {
			c.pos -= int(over)
		}
	} else {
		c.pos = 0
		if skip := c.lo - c.chunkFirst; skip > 0 {
			c.pos = int(skip)
		}
	}
	return nil
}

func (c *itemCursor) close() error {
	return errors.Join(c.stopPrefetch(), c.tx.Rollback())
}
