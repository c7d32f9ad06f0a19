//go:build !linux

package resolvers

import (
	"net"

	"golang.org/x/net/ipv4"
)

// batchReader reads a batch of datagrams with golang.org/x/net's ReadBatch.
type batchReader struct {
	batch batchConn
	msgs  []ipv4.Message
}

// newReplyReader reads from batch, n datagrams of up to size bytes at a time.
func newReplyReader(_ *net.UDPConn, batch batchConn, n, size int) (replyReader, error) {
	r := &batchReader{batch: batch, msgs: make([]ipv4.Message, n)}
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{make([]byte, size)}
	}
	return r, nil
}

func (r *batchReader) read() (int, error) { return r.batch.ReadBatch(r.msgs, 0) }

func (r *batchReader) datagram(i int) []byte { return r.msgs[i].Buffers[0][:r.msgs[i].N] }
