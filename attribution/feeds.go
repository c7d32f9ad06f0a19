package attribution

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
	Parse func(io.Reader) (provider.Document, error)
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
// has ranges, and replaces the copy in DIR/feeds, with a note of the URL it
// came from (NAME.source.json). A feed that fails leaves its previous copy
// in use; the errors are returned together.
func UpdateFeeds(ctx context.Context, dir string, feeds []Feed, c *retryablehttp.Client, log io.Writer) error {
	if c == nil {
		c = NewHTTPClient(nil, 2*time.Minute, 2)
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
			var doc provider.Document
			if doc, err = f.Parse(bytes.NewReader(b)); err == nil {
				err = errors.Join(writeAtomic(filepath.Join(out, f.Name+".json"), b), writeFeedSource(out, f))
				fmt.Fprintf(log, "feed %s: %d ranges, %s\n", f.Name, len(doc.Ranges), feedDate(doc, f.URL).note)
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

// feedSource is NAME.source.json: where an installed feed was fetched from.
type feedSource struct {
	URL string `json:"url"`
}

func writeFeedSource(out string, f Feed) error {
	b, err := json.Marshal(feedSource{URL: f.URL})
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(out, f.Name+".source.json"), b)
}

func readFeedSource(out, name string) feedSource {
	var fs feedSource
	if b, err := os.ReadFile(filepath.Join(out, name+".source.json")); err == nil {
		_ = json.Unmarshal(b, &fs) // unreadable: no URL known
	}
	return fs
}

// dated is a feed's date and how it is known.
type dated struct {
	day  string // YYYY-MM-DD, or "" when unknown
	note string
}

// fileDate finds the date in a feed's file name, as Azure publishes its
// service tags: ServiceTags_Public_20251117.json.
var fileDate = regexp.MustCompile(`_(\d{8})\.json$`)

// feedDate is the date of a feed: the one its document gives itself, else
// the one in the name of the file it was fetched as, else unknown. The
// time it was downloaded says nothing of its age.
func feedDate(doc provider.Document, rawURL string) dated {
	if !doc.Published.IsZero() {
		return dated{doc.Published.Format(time.DateOnly), "published " + doc.Published.Format(time.RFC3339) + " (the document's own date)"}
	}
	if u, err := url.Parse(rawURL); err == nil {
		if m := fileDate.FindStringSubmatch(u.Path); m != nil {
			if t, err := time.Parse("20060102", m[1]); err == nil {
				return dated{t.Format(time.DateOnly), "published " + t.Format(time.DateOnly) + " (the date in its file name)"}
			}
		}
	}
	return dated{"", "the document gives no date"}
}

// withFeeds layers the feeds installed in DIR/feeds over t, in the order of
// DefaultFeeds. A feed that no longer parses is skipped: the data it would
// have added is not claimed. Each feed's version is its own date (see
// feedDate), so that an old feed is called stale however recently it was
// downloaded.
func withFeeds(t *provider.Table, dir string) *provider.Table {
	if dir == "" {
		return t
	}
	out := filepath.Join(dir, feedsDir)
	for _, f := range DefaultFeeds() {
		path := filepath.Join(out, f.Name+".json")
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		doc, err := f.Parse(fh)
		fh.Close()
		if err != nil {
			continue
		}
		from := readFeedSource(out, f.Name).URL
		d := feedDate(doc, from)
		t = t.WithRanges(provider.Source{Name: f.Name + " feed", Version: d.day, License: "the provider's terms", URL: cmp.Or(from, path),
			Note: "the provider's own ranges with regions; " + d.note, Regions: true, Path: path}, doc.Ranges)
	}
	return t
}
