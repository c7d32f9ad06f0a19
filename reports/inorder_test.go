package reports

import (
	"bytes"
	"errors"
	"iter"
	"strconv"
	"testing"
)

func numbers(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func appendNumber(b []byte, i, item int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	return strconv.AppendInt(b, int64(item), 10)
}

func TestEncodeInOrder(t *testing.T) {
	for _, n := range []int{0, 1, inOrderBatch - 1, inOrderBatch, inOrderBatch + 1, 20*inOrderBatch + 7} {
		var got, want bytes.Buffer
		for i := range n {
			want.Write(appendNumber(nil, i, i))
		}
		written, err := encodeInOrder(&got, numbers(n), appendNumber)
		if err != nil || written != n {
			t.Fatalf("%d items: wrote %d, %v", n, written, err)
		}
		if got.String() != want.String() {
			t.Fatalf("%d items: out of order or lost", n)
		}
	}
}

// failingWriter takes ok writes, then fails.
type failingWriter struct{ ok int }

var errFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.ok == 0 {
		return 0, errFull
	}
	w.ok--
	return len(p), nil
}

// A write that fails stops the walk: the rest of seq is not taken, and the
// error is the writer's.
func TestEncodeInOrderStopsOnError(t *testing.T) {
	taken := 0
	seq := func(yield func(int) bool) {
		for i := range 1 << 30 {
			taken++
			if !yield(i) {
				return
			}
		}
	}
	written, err := encodeInOrder(&failingWriter{ok: 2}, seq, appendNumber)
	if !errors.Is(err, errFull) || written != 2*inOrderBatch {
		t.Fatalf("wrote %d, %v; want %d, %v", written, err, 2*inOrderBatch, errFull)
	}
	if taken > 100*inOrderBatch {
		t.Fatalf("took %d items after the writer failed", taken)
	}
}
