package attribution

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/attribution/provider"
)

// Feed is a provider's own published list of its ranges, which carries
// regions: what db update fetches and every command then uses.
type Feed struct {
	// Name is the file's name in DIR/feeds and the source name reports cite.
	Name string
	// URL is where the provider publishes it.
	URL string
	// Parse reads it.
	Parse func(io.Reader) ([]provider.Range, error)
}

// DefaultFeeds are the feeds db update fetches. Azure's service tags move
// to a new URL every week, so they are fetched only when given (--feed
// azure=URL).
func DefaultFeeds() []Feed {
	return []Feed{
		{Name: "aws", URL: "https://ip-ranges.amazonaws.com/ip-ranges.json", Parse: provider.ParseAWS},
		{Name: "google-cloud", URL: "https://www.gstatic.com/ipranges/cloud.json", Parse: provider.ParseGoogleCloud},
		{Name: "oracle", URL: "https://docs.oracle.com/iaas/tools/public_ip_ranges.json", Parse: provider.ParseOracle},
		{Name: "azure", Parse: provider.ParseAzure},
	}
}

const feedsDir = "feeds"

// UpdateFeeds fetches every feed that has a URL, checks that it parses and
// has ranges, and replaces the copy in DIR/feeds. A feed that fails leaves
// its previous copy in use; the errors are returned together.
func UpdateFeeds(ctx context.Context, dir string, feeds []Feed, c *retryablehttp.Client, log io.Writer) error {
	if c == nil {
		c = NewHTTPClient(2*time.Minute, 2, true)
	}
	out := filepath.Join(dir, feedsDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var failed []string
	for _, f := range feeds {
		if f.URL == "" {
			continue
		}
		b, err := fetch(ctx, c, f.URL)
		if err == nil {
			var rs []provider.Range
			if rs, err = f.Parse(bytes.NewReader(b)); err == nil {
				err = writeAtomic(filepath.Join(out, f.Name+".json"), b)
				fmt.Fprintf(log, "feed %s: %d ranges\n", f.Name, len(rs))
			}
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", f.Name, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: feeds: %s", ErrUpdate, strings.Join(failed, "; "))
	}
	return nil
}

// withFeeds layers the feeds installed in DIR/feeds over t, in the order of
// DefaultFeeds. A feed that no longer parses is skipped: the data it would
// have added is not claimed.
func withFeeds(t *provider.Table, dir string) *provider.Table {
	if dir == "" {
		return t
	}
	for _, f := range DefaultFeeds() {
		path := filepath.Join(dir, feedsDir, f.Name+".json")
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		rs, err := f.Parse(fh)
		info, _ := fh.Stat()
		fh.Close()
		if err != nil {
			continue
		}
		version := ""
		if info != nil {
			version = info.ModTime().UTC().Format(time.DateOnly)
		}
		t = t.WithRanges(provider.Source{Name: f.Name + " feed", Version: version, License: "the provider's terms", URL: path}, rs)
	}
	return t
}
