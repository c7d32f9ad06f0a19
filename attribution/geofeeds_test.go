package attribution_test

import (
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/geofeed"
)

// db update --geofeed reads no more of a feed than geofeed.MaxSize: a
// server that never stops sending is cut there (not at the 512 MiB a
// database download may take), and one whose Content-Length says more is
// refused before its body is read. Nothing is installed (issue 13, part 4).
func TestUpdateGeofeedsBounded(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	line := []byte(strings.Repeat("192.0.2.0/24,ID,ID-JK,Jakarta,\n", 1024))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/endless.csv":
			for {
				n, err := w.Write(line)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		case "/announced.csv":
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			n, _ := w.Write(line)
			sent.Add(int64(n))
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + l.Addr().String()
	for _, path := range []string{"/endless.csv", "/announced.csv"} {
		sent.Store(0)
		dir := t.TempDir()
		start := time.Now()
		done, err := attribution.UpdateGeofeeds(t.Context(), dir, []string{base + path}, nil, start)
		if !errors.Is(err, attribution.ErrUpdate) || !errors.Is(err, attribution.ErrTooLarge) || len(done) != 0 {
			t.Errorf("%s: %v, %+v: want ErrTooLarge", path, err, done)
		}
		// The server's writes run ahead of the reader by the socket buffers.
		if s := sent.Load(); s > geofeed.MaxSize+16<<20 {
			t.Errorf("%s: %d bytes sent, the reader took more than %d", path, s, geofeed.MaxSize)
		}
		if names, _ := filepath.Glob(filepath.Join(dir, "geofeeds", "*")); len(names) != 0 {
			t.Errorf("%s: installed %v", path, names)
		}
	}
}
