package attribution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/attribution/internal/dataset"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/internal/httpclient"
)

// DefaultBaseURL is where db update fetches ip-location-db's files: the
// address its README gives for each file, BASE/PACKAGE/FILE, which serves the
// latest published version. A mirror serving the same paths can replace it.
const DefaultBaseURL = "https://cdn.jsdelivr.net/npm"

// maxDownload bounds one downloaded file; the largest is about 25 MB.
const maxDownload = 512 << 20

// ErrUpdate is wrapped by every error of Update; the data in use is then unchanged.
var ErrUpdate = errors.New("update failed; the data in use is unchanged")

// ErrTooLarge is returned for a download larger than its bound (512 MiB for
// data, geofeed.MaxSize for a geofeed).
var ErrTooLarge = errors.New("download too large")

// UpdateOptions configure Update.
type UpdateOptions struct {
	// Dir is the data directory (DefaultDataDir).
	Dir string
	// BaseURL is where the packages' files are fetched from (DefaultBaseURL).
	BaseURL string
	// HTTP is the client; nil means a retrying client with a 5-minute timeout.
	HTTP *retryablehttp.Client
	// Log receives progress, one line per step; nil discards it.
	Log io.Writer
}

// UpdateResult says what Update did.
type UpdateResult struct {
	// Installed is set when newer data was verified and put in use.
	Installed bool
	// Before and After are the datasets in use before and after.
	Before, After []Dataset
}

// Update fetches ip-location-db's current files, builds the data exactly as
// the embedded copy is built (checking that the licence terms are still the
// ones hostwatch records), verifies it (every file complete, the MMDB files
// open and answer known addresses: 8.8.8.8 is AS15169 in US, 1.1.1.1 is
// AS13335), and only then swaps it in, keeping the data it replaces in
// DIR/previous. A failed or partial download never replaces data in use.
// When the published data is not newer than what is in use, nothing changes.
func Update(ctx context.Context, opts UpdateOptions) (UpdateResult, error) {
	var res UpdateResult
	if opts.Dir == "" {
		return res, fmt.Errorf("%w: no data directory", ErrUpdate)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.HTTP == nil {
		opts.HTTP = NewHTTPClient(nil, 5*time.Minute, 3)
	}
	before, err := OpenWith(Config{DataDir: opts.Dir})
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrUpdate, err)
	}
	res.Before = before.Datasets()
	before.Close()

	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return res, fmt.Errorf("%w: %w", ErrUpdate, err)
	}
	staging, err := os.MkdirTemp(opts.Dir, ".staging-")
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrUpdate, err)
	}
	defer os.RemoveAll(staging)

	var pkgs []*dataset.Package
	for _, name := range []string{dataset.ASNPackage, dataset.CountryMMDBPackage, dataset.ASNCountryPackage} {
		files := map[string][]byte{}
		for _, f := range dataset.RequiredFiles(name) {
			u := strings.TrimSuffix(opts.BaseURL, "/") + "/" + name + "/" + f
			b, err := fetch(ctx, opts.HTTP, u)
			if err != nil {
				return res, fmt.Errorf("%w: %w", ErrUpdate, err)
			}
			fmt.Fprintf(opts.Log, "fetched %s (%d bytes)\n", u, len(b))
			files[f] = b
		}
		p, err := dataset.PackageFromFiles(opts.BaseURL+"/"+name, files)
		if err != nil {
			return res, fmt.Errorf("%w: %w", ErrUpdate, err)
		}
		pkgs = append(pkgs, p)
	}
	if err := dataset.Build(pkgs, staging, opts.Log); err != nil {
		return res, fmt.Errorf("%w: build: %w", ErrUpdate, err)
	}
	if err := verify(staging); err != nil {
		return res, fmt.Errorf("%w: the new data fails its checks: %w", ErrUpdate, err)
	}
	if !newerThan(staging, res.Before) {
		fmt.Fprintln(opts.Log, "the published data is not newer than the data in use; nothing changed")
		res.After = res.Before
		return res, nil
	}
	if err := swap(opts.Dir, staging); err != nil {
		return res, fmt.Errorf("%w: %w", ErrUpdate, err)
	}
	res.Installed = true
	after, err := OpenWith(Config{DataDir: opts.Dir})
	if err != nil {
		return res, err
	}
	res.After = after.Datasets()
	after.Close()
	return res, nil
}

// NewHTTPClient returns the retrying client db update uses when given none:
// transport errors and 5xx answers are tried again, with waits, and
// certificates are checked. tr nil means Go's default transport.
func NewHTTPClient(tr http.RoundTripper, timeout time.Duration, retries int) *retryablehttp.Client {
	return httpclient.New(httpclient.Options{Transport: tr, Timeout: timeout, Retries: retries, ReadLimit: maxDownload})
}

// fetch downloads one file whole: a body shorter than its Content-Length, an
// HTTP error or an oversized file is an error.
func fetch(ctx context.Context, c *retryablehttp.Client, rawURL string) ([]byte, error) {
	return fetchAtMost(ctx, c, rawURL, maxDownload)
}

// fetchAtMost is fetch with a smaller bound than maxDownload: it reads no
// more than limit+1 bytes, and refuses at once an answer whose
// Content-Length says it is larger.
func fetchAtMost(ctx context.Context, c *retryablehttp.Client, rawURL string, limit int64) ([]byte, error) {
	if _, err := url.Parse(rawURL); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", rawURL, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("fetch %s: %w: %d bytes, more than %d", rawURL, ErrTooLarge, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: incomplete download: %w", rawURL, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("fetch %s: %w: more than %d bytes", rawURL, ErrTooLarge, limit)
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, fmt.Errorf("fetch %s: incomplete download: %d of %d bytes", rawURL, len(b), resp.ContentLength)
	}
	return b, nil
}

// verify opens the data built in dir as hostwatch will, and checks it
// against facts that have held for years.
func verify(dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	if len(m.Datasets) == 0 {
		return errors.New("no datasets built")
	}
	d := &DB{}
	defer d.Close()
	for _, e := range m.Datasets {
		if err := d.openFile(dir, e); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		ip      string
		asn     uint32
		country string
	}{{"8.8.8.8", 15169, "US"}, {"1.1.1.1", 13335, ""}} {
		r := d.Lookup(netip.MustParseAddr(c.ip))
		if r.ASN != c.asn || c.country != "" && r.Country != c.country {
			return fmt.Errorf("%s gives AS%d %q, want AS%d %q", c.ip, r.ASN, r.Country, c.asn, c.country)
		}
	}
	return nil
}

// newerThan reports whether any dataset built in dir is newer than the one of
// the same name in use.
func newerThan(dir string, inUse []Dataset) bool {
	m, err := readManifest(dir)
	if err != nil {
		return false
	}
	for _, e := range m.Datasets {
		current := ""
		for _, d := range inUse {
			if d.ID == e.ID {
				current = d.Version
			}
		}
		if e.Version > current {
			return true
		}
	}
	return false
}

// swap puts the verified data in staging in use: DIR/current becomes
// DIR/previous (replacing an older previous) and staging becomes
// DIR/current. Each step is one rename, so at every moment either the old or
// the new data is complete in DIR/current.
func swap(dir, staging string) error {
	cur, prev := filepath.Join(dir, currentDir), filepath.Join(dir, previousDir)
	if _, err := os.Stat(cur); err == nil {
		if err := os.RemoveAll(prev); err != nil {
			return err
		}
		if err := os.Rename(cur, prev); err != nil {
			return err
		}
	}
	return os.Rename(staging, cur)
}

// Revert puts the data that the last update replaced back in use, keeping the
// one it replaces as the new previous copy.
func Revert(dir string) error {
	cur, prev := filepath.Join(dir, currentDir), filepath.Join(dir, previousDir)
	if _, err := os.Stat(prev); err != nil {
		// No previous copy: the embedded data was in use before the update.
		if err := os.RemoveAll(cur); err != nil {
			return err
		}
		return nil
	}
	tmp := filepath.Join(dir, ".revert")
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if _, err := os.Stat(cur); err == nil {
		if err := os.Rename(cur, tmp); err != nil {
			return err
		}
	}
	if err := os.Rename(prev, cur); err != nil {
		return err
	}
	if _, err := os.Stat(tmp); err == nil {
		return os.Rename(tmp, prev)
	}
	return nil
}

// DefaultBootstrapURL is where IANA publishes the RDAP bootstrap files
// (RFC 9224): BASE/ipv4.json and BASE/ipv6.json.
const DefaultBootstrapURL = "https://data.iana.org/rdap"

// bootstrapDir is where UpdateBootstrap keeps the files, in the data directory.
const bootstrapDir = "rdap"

// BootstrapUpdate says what UpdateBootstrap did.
type BootstrapUpdate struct {
	// Published is the date of the bootstrap in use afterwards
	// (rdap.Bootstrap.Published).
	Published string
	// Kept names each fetched file that was not installed because the one
	// in use is as new or newer, with both dates.
	Kept []string
}

// bootstrapNames are IANA's bootstrap files that hostwatch uses.
var bootstrapNames = [...]string{"ipv4.json", "ipv6.json"}

// UpdateBootstrap fetches IANA's RDAP bootstrap files from base, checks that
// they parse, and installs in DIR/rdap (each file renamed into place) each
// one whose publication is later than that of the file in use (the one
// installed before, or the embedded one): an older bootstrap never replaces
// a newer one.
func UpdateBootstrap(ctx context.Context, dir, base string, c *retryablehttp.Client) (BootstrapUpdate, error) {
	var res BootstrapUpdate
	if base == "" {
		base = DefaultBootstrapURL
	}
	if c == nil {
		c = NewHTTPClient(nil, time.Minute, 2)
	}
	files := map[string][]byte{}
	for _, name := range bootstrapNames {
		b, err := fetch(ctx, c, strings.TrimSuffix(base, "/")+"/"+name)
		if err != nil {
			return res, fmt.Errorf("%w: %w", ErrUpdate, err)
		}
		files[name] = b
	}
	if _, err := rdap.ParseBootstrap(files["ipv4.json"], files["ipv6.json"]); err != nil {
		return res, fmt.Errorf("%w: RDAP bootstrap: %w", ErrUpdate, err)
	}
	for _, name := range bootstrapNames {
		if _, err := rdap.Publication(files[name]); err != nil {
			return res, fmt.Errorf("%w: RDAP bootstrap %s: %w", ErrUpdate, name, err)
		}
	}
	out := filepath.Join(dir, bootstrapDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return res, err
	}
	for _, name := range bootstrapNames {
		inUse := bootstrapFile(dir, name)
		if !newerBootstrap(files[name], inUse) {
			was, _ := rdap.Publication(inUse)
			got, _ := rdap.Publication(files[name])
			res.Kept = append(res.Kept, fmt.Sprintf("%s: the one in use (published %s) is not older than the one fetched (%s)",
				name, was.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339)))
			continue
		}
		if err := writeAtomic(filepath.Join(out, name), files[name]); err != nil {
			return res, err
		}
	}
	res.Published = Bootstrap(dir).Published()
	return res, nil
}

// Bootstrap returns the RDAP bootstrap in use: for each file, the one db
// update installed in dir when it parses and is newer than the embedded
// one, else the embedded one.
func Bootstrap(dir string) *rdap.Bootstrap {
	bs, err := rdap.ParseBootstrap(bootstrapFile(dir, "ipv4.json"), bootstrapFile(dir, "ipv6.json"))
	if err != nil {
		return rdap.DefaultBootstrap()
	}
	return bs
}

// bootstrapFile returns the bootstrap file name in use: the copy in
// DIR/rdap if it parses and is newer than the embedded one, else the
// embedded one.
func bootstrapFile(dir, name string) []byte {
	emb, _ := rdap.EmbeddedBootstrapFile(name)
	if dir == "" {
		return emb
	}
	b, err := os.ReadFile(filepath.Join(dir, bootstrapDir, name))
	if err != nil {
		return emb
	}
	v4, v6 := b, []byte(nil)
	if name == "ipv6.json" {
		v4, v6 = nil, b
	}
	if _, err := rdap.ParseBootstrap(v4, v6); err != nil || !newerBootstrap(b, emb) {
		return emb
	}
	return b
}

// newerBootstrap reports whether bootstrap file b was published after
// inUse. A file whose date cannot be read is never newer, unless the one in
// use has no readable date either.
func newerBootstrap(b, inUse []byte) bool {
	t, err := rdap.Publication(b)
	was, errWas := rdap.Publication(inUse)
	switch {
	case err != nil:
		return false
	case errWas != nil:
		return true
	}
	return t.After(was)
}

// writeAtomic replaces path with b: a reader sees the old file or the new one.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
