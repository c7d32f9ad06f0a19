package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

// bulkRows is how many rows one bulk statement carries.
const bulkRows = 200

// bulk runs one statement over many rows, bulkRows at a time, as a
// multi-row VALUES list between head and tail: SQLite binds plain values
// and parses nothing per row. Statements are prepared once per row count.
type bulk struct {
	conn       *sql.Conn
	head, tail string
	cols       int
	stmts      map[int]*sql.Stmt
	// fixed are the values of the parameters numbered in head (?1, ?2…),
	// bound before every row's: the same for every row.
	fixed []any
}

func newBulk(conn *sql.Conn, head string, cols int, tail string) *bulk {
	return &bulk{conn: conn, head: head, tail: tail, cols: cols, stmts: map[int]*sql.Stmt{}}
}

// run executes the statement over rows; when scan is set, it is called for
// each row the statement returns (RETURNING).
func (b *bulk) run(ctx context.Context, rows [][]any, scan func(*sql.Rows) error) error {
	_, err := b.insert(ctx, rows, scan)
	return err
}

// insert is run, and returns the row ID of the last row inserted (0 when
// scan is set or there are no rows).
func (b *bulk) insert(ctx context.Context, rows [][]any, scan func(*sql.Rows) error) (lastID int64, err error) {
	for len(rows) > 0 {
		n := min(len(rows), bulkRows)
		st, err := b.stmt(ctx, n)
		if err != nil {
			return 0, err
		}
		args := make([]any, 0, len(b.fixed)+n*b.cols)
		args = append(args, b.fixed...)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		rows = rows[n:]
		if scan == nil {
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return 0, err
			}
			if lastID, err = res.LastInsertId(); err != nil {
				return 0, err
			}
			continue
		}
		res, err := st.QueryContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		for res.Next() {
			if err := scan(res); err != nil {
				res.Close()
				return 0, err
			}
		}
		if err := res.Close(); err != nil {
			return 0, err
		}
		if err := res.Err(); err != nil {
			return 0, err
		}
	}
	return lastID, nil
}

func (b *bulk) stmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := b.stmts[n]; ok {
		return st, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", b.cols), ",") + ")"
	var q strings.Builder
	q.WriteString(b.head)
	q.WriteByte(' ')
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(row)
	}
	q.WriteString(b.tail)
	st, err := b.conn.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	b.stmts[n] = st
	return st, nil
}

func (b *bulk) close() {
	for _, st := range b.stmts {
		st.Close()
	}
}
