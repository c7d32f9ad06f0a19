package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// encodingJSON is what encoding/json writes for v in a JSON line.
func encodingJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// jsonStrings are the strings the filler cycles through: quotes,
// backslashes, control characters, HTML, invalid UTF-8, U+2028.
var jsonStrings = []string{"plain.example", "quote\" back\\slash", "ctl\x00\x01\b\f\n\r\t\x1f\x7f", "<a href='x'>&amp;</a>",
	"bad \xff\xfe utf-8 \xe2\x82", "line\u2028para\u2029", "ünïcödé 日本", ""}

// filler sets every field of a value to something other than its zero
// value, so that a field appendTarget does not write shows up as a
// difference from encoding/json.
type filler struct {
	n int
	// skip names the struct fields left at their zero value.
	skip map[string]bool
}

func (f *filler) fill(v reflect.Value) {
	f.n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(jsonStrings[f.n%(len(jsonStrings)-1)])
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(f.n))
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n))
	case reflect.Float64:
		v.SetFloat([]float64{0.123, 1e-7, 12.5, 3e21, 0}[f.n%5])
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem())
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if fl := v.Type().Field(i); fl.IsExported() && !f.skip[fl.Name] {
				f.fill(v.Field(i))
			}
		}
	case reflect.Map:
		// Only in parts left to encoding/json.
	default:
		panic(fmt.Sprintf("filler: %s", v.Kind()))
	}
}

// TestAppendTarget checks appendTarget byte for byte against encoding/json:
// with every field filled in (but those that send a target to
// encoding/json), so that a field added to Target and not to appendTarget
// fails here; with nil and empty lists; and it checks that the parts it
// leaves to encoding/json are left to it.
func TestAppendTarget(t *testing.T) {
	full := func(seed int) Target {
		var tg Target
		(&filler{n: seed}).fill(reflect.ValueOf(&tg).Elem())
		tg.Answers, tg.Records, tg.HTTP, tg.Authoritative = nil, nil, nil, nil
		for i := range tg.Addresses {
			tg.Addresses[i].Cymru, tg.Addresses[i].RDAP = nil, nil
			tg.Addresses[i].RTT, tg.Addresses[i].Geofeed, tg.Addresses[i].GeofeedError = nil, nil, nil
		}
		return tg
	}
	cases := map[string]Target{"zero": {}}
	for seed := range 12 {
		cases[fmt.Sprintf("full %d", seed)] = full(seed)
	}
	empty := full(1)
	empty.CNAMEChain, empty.Addresses, empty.Queries, empty.OddOnesOut = nil, []Address{}, []Query{}, []string{}
	empty.Consistency = ""
	cases["empty lists"] = empty
	nils := full(2)
	nils.Addresses[0].PTR = new([]string)
	nils.Addresses[1].PTR = &[]string{}
	nils.Addresses[0].Sources.ASN, nils.Addresses[1].Sources = "", attribution.Sources{}
	nils.Queries[0].ECSScope, nils.Queries[0].RawResponse, nils.Queries[0].ECSIgnored = nil, nil, false
	cases["nil and empty members"] = nils
	for name, tg := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := appendTarget(nil, &tg)
			if !ok {
				t.Fatal("left to encoding/json")
			}
			if want := encodingJSON(t, tg); string(got) != want {
				t.Fatalf("appendTarget:\n%s\nencoding/json:\n%s", got, want)
			}
		})
	}

	left := map[string]func(*Target){
		"answers":       func(tg *Target) { tg.Answers = []ResolverAnswer{{}} },
		"records":       func(tg *Target) { tg.Records = []RecordSetJSON{{}} },
		"http":          func(tg *Target) { tg.HTTP = &FrontDoorJSON{} },
		"authoritative": func(tg *Target) { tg.Authoritative = &AuthoritativeJSON{} },
		"cymru":         func(tg *Target) { tg.Addresses[0].Cymru = &CymruJSON{} },
		"rdap":          func(tg *Target) { tg.Addresses[1].RDAP = &rdap.Network{} },
		"rtt":           func(tg *Target) { tg.Addresses[0].RTT = &RTTJSON{} },
		"geofeed":       func(tg *Target) { tg.Addresses[1].Geofeed = &GeofeedJSON{} },
		"geofeed_error": func(tg *Target) { tg.Addresses[0].GeofeedError = &GeofeedErrorJSON{} },
	}
	for name, set := range left {
		tg := full(3)
		set(&tg)
		if _, ok := appendTarget(nil, &tg); ok {
			t.Errorf("%s: written by appendTarget, want left to encoding/json", name)
		}
	}
}

// FuzzAppendJSONString checks appendJSONString against encoding/json for
// any string, and appendJSONFloat for any float.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s, 0.123)
	}
	f.Add("", 1e-7)
	f.Add("x", 1e21)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		if got, want := string(appendJSONString(nil, s)), encodingJSON(t, s); got != want {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json: %s", s, got, want)
		}
		got, ok := appendJSONFloat(nil, x)
		if !ok {
			if _, err := json.Marshal(x); err == nil {
				t.Fatalf("appendJSONFloat(%v) refused what encoding/json writes", x)
			}
			return
		}
		if want := encodingJSON(t, x); string(got) != want {
			t.Fatalf("appendJSONFloat(%v) = %s, encoding/json: %s", x, got, want)
		}
	})
}

// benchObservation is one name of a bulk run: two attributed addresses and
// the two queries behind them.
func benchObservation() probe.Observation {
	at := time.Date(2026, 12, 1, 6, 0, 0, 123456789, time.UTC)
	res := func(prefix string) attribution.Result {
		return attribution.Result{ASN: 45102, ASOrg: "Alibaba US Technology Co., Ltd.", Prefix: netip.MustParsePrefix(prefix),
			Country: "ID", RegisteredCountry: "CN", Provider: "Alibaba Cloud", ProviderKind: "cloud", Region: "ap-southeast-5",
			Sources: attribution.Sources{ASN: "embedded:ip-location-db asn 2026-11-28", Country: "embedded:ip-location-db country 2026-11-28",
				Provider: "embedded:cdncheck 1.2.19"}}
	}
	q := func(typ string, ms int) resolvers.Exchange {
		return resolvers.Exchange{Resolver: "127.0.0.1:5353", Transport: "udp", Name: "h12345.bench.test", Type: typ,
			Rcode: "NOERROR", Status: resolvers.StatusOK, AskedAt: at, RTT: time.Duration(ms) * time.Microsecond}
	}
	return probe.Observation{Target: probe.ParseTarget("h12345.bench.test", "names.txt", 12346), Status: resolvers.StatusOK, StartedAt: at,
		Addresses: []probe.Address{{IP: netip.MustParseAddr("170.33.48.57"), TTL: 300, Result: res("170.33.0.0/16")},
			{IP: netip.MustParseAddr("2404:2280:100::0:3039"), TTL: 300, Result: res("2404:2280::/32")}},
		Queries: []resolvers.Exchange{q("A", 1234), q("AAAA", 1567)}}
}

// BenchmarkJSONL writes one bulk-run observation as a JSON line, with
// appendObservation (the JSONLWriter's path), through a Target with
// appendTarget (its path for the rare parts, and its path before) and with
// encoding/json side by side.
func BenchmarkJSONL(b *testing.B) {
	o := benchObservation()
	b.Run("appendObservation", func(b *testing.B) {
		b.ReportAllocs()
		w := NewJSONLWriter(io.Discard)
		for b.Loop() {
			if err := w.Write(o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendTarget", func(b *testing.B) {
		b.ReportAllocs()
		w := NewJSONLWriter(io.Discard)
		for b.Loop() {
			w.mu.Lock()
			err := w.writeTarget(&o)
			w.mu.Unlock()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		w := NewJSONLWriter(io.Discard)
		for b.Loop() {
			if err := w.enc.Encode(NewTarget(o)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
