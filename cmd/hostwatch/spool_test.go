package main

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
)

// fill sets every field of v, recursively, to a value that is not zero, so
// that a field the spool does not carry fails the round trip.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *n, time.UTC)))
		return
	case reflect.TypeFor[netip.Addr]():
		v.Set(reflect.ValueOf(netip.AddrFrom4([4]byte{192, 0, 2, byte(*n)})))
		return
	case reflect.TypeFor[netip.Prefix]():
		v.Set(reflect.ValueOf(netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(*n)}), 40)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s\x00é" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n) * 1000)
	case reflect.Uint32:
		v.SetUint(uint64(4294967295 - *n))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				t.Fatalf("%s.%s is not exported: the spool cannot carry it", v.Type(), v.Type().Field(i).Name)
			}
			fill(t, v.Field(i), n)
		}
	default:
		t.Fatalf("fill: no value for %s", v.Type())
	}
}

func TestChangeSpoolRoundTrip(t *testing.T) {
	var full probe.Change
	n := 0
	fill(t, reflect.ValueOf(&full).Elem(), &n)
	changes := []probe.Change{full, {}, {Domain: "a.test", Kinds: []probe.ChangeKind{probe.ChangeNew}, Seen: 1, Confirm: 2,
		AfterAt: time.Date(2026, 12, 1, 0, 0, 0, 1, time.UTC)}}
	s, err := newChangeSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range changes[:2] {
		if err := s.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	// Walked twice, and added to after a walk.
	for range 2 {
		if got := slices.Collect(s.All()); !reflect.DeepEqual(got, changes[:2]) {
			t.Fatalf("read back\n%#v\nwant\n%#v", got, changes[:2])
		}
	}
	if err := s.Add(changes[2]); err != nil {
		t.Fatal(err)
	}
	if got := slices.Collect(s.All()); !reflect.DeepEqual(got, changes) {
		t.Fatalf("read back\n%#v\nwant\n%#v", got, changes)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeChangeCutShort(t *testing.T) {
	var full probe.Change
	n := 0
	fill(t, reflect.ValueOf(&full).Elem(), &n)
	rec := appendChange(nil, &full)
	for i := range len(rec) {
		var c probe.Change
		if err := decodeChange(rec[:i], &c); err == nil {
			t.Fatalf("a record cut to %d of %d bytes decoded", i, len(rec))
		}
	}
}

// TestChangeSpoolEncoded: with an encoder, the spool keeps each change's
// words and whether it is pending, walked as often as asked, in order.
func TestChangeSpoolEncoded(t *testing.T) {
	s, err := newChangeSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.encode = func(b []byte, ch probe.Change) []byte { return append(b, ch.Domain...) }
	changes := []probe.Change{{Domain: "a.test", Seen: 1, Confirm: 2}, {Domain: "", Seen: 1, Confirm: 1}, {Domain: "c.test", Seen: 2, Confirm: 2}}
	var want []string
	for _, c := range changes {
		if err := s.Add(c); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%t %q", c.Pending(), c.Domain))
	}
	for range 2 {
		var got []string
		for e := range s.Encoded() {
			got = append(got, fmt.Sprintf("%t %q", e.Pending, e.Bytes))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("read back %q, want %q", got, want)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
