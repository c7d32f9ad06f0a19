package reports

import (
	"io"
	"iter"
	"runtime"
)

// inOrderBatch is how many items one worker encodes at a time.
const inOrderBatch = 256

// encodeInOrder writes each item of seq to w as encode appends it, in seq's
// order, with the encoding spread over one goroutine per CPU: a check's
// JSON document is written after its run is committed, when the machine is
// otherwise idle, and a first run of 100,000 names brings 100,000 changes to
// encode. seq is walked on a goroutine of its own; at most a few batches per
// worker are in memory at once, however long seq is. encode gets the item's
// position in seq (0 for the first, for a separator before the others). It
// returns how many items were written and the first error writing them.
func encodeInOrder[T any](w io.Writer, seq iter.Seq[T], encode func(b []byte, i int, item T) []byte) (int, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	type batch struct {
		first int
		items []T
		out   chan []byte
	}
	var (
		jobs  = make(chan *batch, workers)
		order = make(chan *batch, 2*workers) // the batches in seq's order
		free  = make(chan []byte, 3*workers) // written buffers, for reuse
		stop  = make(chan struct{})          // the writer has stopped early
	)
	for range workers {
		go func() {
			for b := range jobs {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				buf = buf[:0]
				for k, item := range b.items {
					buf = encode(buf, b.first+k, item)
				}
				b.out <- buf
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		n := 0
		cur := &batch{items: make([]T, 0, inOrderBatch)}
		send := func() bool {
			cur.out = make(chan []byte, 1)
			select {
			case order <- cur:
			case <-stop:
				return false
			}
			jobs <- cur // a worker is always free to take it: order holds it first
			n += len(cur.items)
			cur = &batch{first: n, items: make([]T, 0, inOrderBatch)}
			return true
		}
		for item := range seq {
			cur.items = append(cur.items, item)
			if len(cur.items) == inOrderBatch && !send() {
				return
			}
		}
		if len(cur.items) > 0 {
			send()
		}
	}()
	written, stopped := 0, false
	var err error
	for b := range order {
		buf := <-b.out
		if err == nil {
			_, err = w.Write(buf)
			if err == nil {
				written += len(b.items)
			}
		}
		if err != nil && !stopped {
			close(stop)
			stopped = true
		}
		select {
		case free <- buf:
		default:
		}
	}
	return written, err
}
