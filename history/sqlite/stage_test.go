package sqlite

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
)

// TestStageRoundTrip stages observations with every field set and reads them
// back. It fails when a field is added to what is staged (an observation,
// an attribution, its sources) but not to the staging's record.
func TestStageRoundTrip(t *testing.T) {
	t.Parallel()
	full := attribution.Result{
		ASN: 134963, ASOrg: "Alibaba Cloud (Singapore) Private Limited", Prefix: netip.MustParsePrefix("170.33.8.0/21"),
		Country: "SG", RegisteredCountry: "SG", Provider: "Alibaba Cloud", ProviderKind: "cloud", Region: "ap-southeast-1",
		CDN: true, CDNName: "Alibaba CDN", SpecialUse: "none", NAT64: netip.MustParseAddr("170.33.13.55"),
		Sources: attribution.Sources{ASN: "a", ASOrg: "b", Prefix: "c", Country: "d", RegisteredCountry: "e", Provider: "f", CDN: "g"},
	}
	first := staged{
		Domain: "xn--bcher-kva.kpu.go.id", Unicode: "bücher.kpu.go.id", At: time.Date(2024, 2, 14, 8, 0, 0, 123456789, time.UTC),
		Status: "error", Error: "CNAME loop", ErrorKind: "cname_loop", Fingerprint: "e26faa06757db2d31d190e35ad303b44",
		Chain:     []chainHop{{"a.kpu.go.id", "b.kpu.go.id"}, {"b.kpu.go.id", "a.kpu.go.id"}},
		Addresses: []storedAddress{{IP: netip.MustParseAddr("170.33.13.55"), Result: full, attr: 0}, {IP: netip.MustParseAddr("fe80::1%eth0"), attr: 1}},
	}
	for _, v := range []any{first, full, full.Sources, first.Chain[0], first.Addresses[0]} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			if f := rv.Type().Field(i); f.IsExported() && rv.Field(i).IsZero() {
				t.Errorf("%s.%s is not set in the test: set it, and stage it (stage.go)", rv.Type(), f.Name)
			}
		}
	}
	second := staged{Domain: "b.test", Unicode: "b.test", At: time.Unix(0, 1).UTC(), Status: "ok",
		Addresses: []storedAddress{{IP: netip.MustParseAddr("170.33.13.56"), Result: full, attr: 0}}}
	var file bytes.Buffer
	sw := newStageWriter(&file)
	for _, st := range []staged{first, second} {
		if err := sw.write(&st); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.flush(); err != nil {
		t.Fatal(err)
	}
	sr := newStageReader(bytes.NewReader(file.Bytes()))
	for _, want := range []staged{first, second} {
		var got staged
		if err := sr.read(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
	}
	if err := sr.read(new(staged)); !errors.Is(err, io.EOF) {
		t.Errorf("after the last record: %v, want EOF", err)
	}
	// A damaged record is an error, never a panic.
	raw := file.Bytes()
	for i := range raw {
		damaged := bytes.Clone(raw)
		damaged[i] ^= 0xff
		sr := newStageReader(bytes.NewReader(damaged))
		for range 3 {
			if err := sr.read(new(staged)); err != nil {
				break
			}
		}
	}
}
