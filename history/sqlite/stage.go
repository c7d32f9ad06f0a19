package sqlite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// maxAttributions bounds the distinct attributions a run's staging keeps
// apart (and a Commit keeps the database IDs of): past them, an address's
// attribution is written out with it.
const maxAttributions = 1 << 16

// Observations are staged in a temporary file as length-prefixed records,
// written and read by hand: gob's reflection cost as much as writing the
// spans. Each distinct attribution is written once, where it first occurs,
// and numbered in order of appearance; later addresses refer to it by that
// number (1-based; 0 means "written out here, not numbered": past
// maxAttributions). The record layout, in order:
//
//	domain, unicode          string
//	at                       varint, Unix nanoseconds
//	status, error, kind, fp  string
//	chain                    uvarint n, then n × (name, target string)
//	addresses                uvarint n, then n × (ip: string of its binary
//	                         form; ref: uvarint; the attribution when ref is 0
//	                         or one more than the numbers given so far)
//
// where a string is a uvarint length and its bytes, and an attribution is
// asn (uvarint), as_org, prefix (binary form), country, registered_country,
// provider, provider_kind, region (strings), cdn (one byte), cdn_name,
// special_use and the seven sources (strings). TestStageRoundTrip fails when
// a field is added to what is staged without being added here.

// numbering numbers a run's distinct attributions in order of appearance,
// from 1, up to maxAttributions of them.
type numbering map[attribution.Result]int

// number is r's number, or 0 past maxAttributions; first says whether r was
// not seen before (always, past maxAttributions).
func (n numbering) number(r attribution.Result) (num int, first bool) {
	if v, ok := n[r]; ok {
		return v, false
	}
	if len(n) >= maxAttributions {
		return 0, true
	}
	n[r] = len(n) + 1
	return len(n), true
}

// stageWriter writes staged observations.
type stageWriter struct {
	w     *bufio.Writer
	buf   []byte
	attrs numbering
}

func newStageWriter(w io.Writer) *stageWriter {
	return &stageWriter{w: bufio.NewWriterSize(w, 64<<10), attrs: numbering{}}
}

func (sw *stageWriter) write(st *staged) error {
	b := sw.buf[:0]
	b = appendString(b, st.Domain)
	b = appendString(b, st.Unicode)
	b = binary.AppendVarint(b, st.At.UnixNano())
	b = appendString(b, string(st.Status))
	b = appendString(b, st.Error)
	b = appendString(b, string(st.ErrorKind))
	b = appendString(b, st.Fingerprint)
	b = binary.AppendUvarint(b, uint64(len(st.Chain)))
	for _, h := range st.Chain {
		b = appendString(b, h.Name)
		b = appendString(b, h.Target)
	}
	b = binary.AppendUvarint(b, uint64(len(st.Addresses)))
	for _, a := range st.Addresses {
		ip, err := a.IP.MarshalBinary()
		if err != nil {
			return err
		}
		b = appendString(b, string(ip))
		n, first := sw.attrs.number(a.Result)
		b = binary.AppendUvarint(b, uint64(n))
		if !first {
			continue
		}
		if b, err = appendResult(b, a.Result); err != nil {
			return err
		}
	}
	sw.buf = b
	var n [binary.MaxVarintLen64]byte
	if _, err := sw.w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := sw.w.Write(b)
	return err
}

func (sw *stageWriter) flush() error { return sw.w.Flush() }

func appendResult(b []byte, r attribution.Result) ([]byte, error) {
	prefix, err := r.Prefix.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(r.ASN))
	b = appendString(b, r.ASOrg)
	b = appendString(b, string(prefix))
	for _, s := range []string{r.Country, r.RegisteredCountry, r.Provider, r.ProviderKind, r.Region} {
		b = appendString(b, s)
	}
	cdn := byte(0)
	if r.CDN {
		cdn = 1
	}
	b = append(b, cdn)
	src := r.Sources
	nat64 := ""
	if r.NAT64.IsValid() {
		nat64 = r.NAT64.String()
	}
	for _, s := range []string{r.CDNName, r.SpecialUse, nat64, src.ASN, src.ASOrg, src.Prefix, src.Country, src.RegisteredCountry, src.Provider, src.CDN} {
		b = appendString(b, s)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// maxRecord bounds a staged record's length as read back: far above what
// one observation's record takes.
const maxRecord = 64 << 20

// stageReader reads what a stageWriter wrote, in the same order.
type stageReader struct {
	r     *bufio.Reader
	buf   []byte
	table []attribution.Result // by number, from 1
}

func newStageReader(r io.Reader) *stageReader {
	return &stageReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// errStage is a staged record that cannot be read back: the temporary file
// was damaged.
var errStage = errors.New("damaged staged observation")

// read reads the next record into st. Each address's attr is its
// attribution's number less one, or -1 for one written out.
func (sr *stageReader) read(st *staged) error {
	n, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return err
	}
	if n > maxRecord {
		return fmt.Errorf("%w: %d bytes long", errStage, n)
	}
	if uint64(cap(sr.buf)) < n {
		sr.buf = make([]byte, n)
	}
	sr.buf = sr.buf[:n]
	if _, err := io.ReadFull(sr.r, sr.buf); err != nil {
		return err
	}
	d := decoder{b: sr.buf}
	st.Domain, st.Unicode = d.string(), d.string()
	st.At = time.Unix(0, d.varint()).UTC()
	st.Status, st.Error, st.ErrorKind = resolvers.Status(d.string()), d.string(), probe.ErrorKind(d.string())
	st.Fingerprint = d.string()
	st.Chain = nil
	if k := d.count(); k > 0 {
		st.Chain = make([]chainHop, k)
		for i := range st.Chain {
			st.Chain[i] = chainHop{Name: d.string(), Target: d.string()}
		}
	}
	st.Addresses = nil
	if k := d.count(); k > 0 {
		st.Addresses = make([]storedAddress, k)
		for i := range st.Addresses {
			a := &st.Addresses[i]
			if err := a.IP.UnmarshalBinary(d.bytes()); err != nil && d.err == nil {
				d.err = err
			}
			ref := d.uvarint()
			switch {
			case ref == 0:
				a.Result, a.attr = d.result(), -1
			case ref <= uint64(len(sr.table)):
				a.Result, a.attr = sr.table[ref-1], int(ref-1)
			case ref == uint64(len(sr.table))+1:
				a.Result, a.attr = d.result(), len(sr.table)
				sr.table = append(sr.table, a.Result)
			default:
				d.fail()
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail()
	}
	if d.err != nil {
		return fmt.Errorf("%w: %w", errStage, d.err)
	}
	return nil
}

// decoder reads the fields of one record, keeping the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = io.ErrUnexpectedEOF
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count is a number of items to follow, each at least a byte long.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) result() attribution.Result {
	var r attribution.Result
	r.ASN = uint32(d.uvarint())
	r.ASOrg = d.string()
	var prefix netip.Prefix
	if err := prefix.UnmarshalBinary(d.bytes()); err != nil && d.err == nil {
		d.err = err
	}
	r.Prefix = prefix
	r.Country, r.RegisteredCountry, r.Provider, r.ProviderKind, r.Region = d.string(), d.string(), d.string(), d.string(), d.string()
	if len(d.b) == 0 {
		d.fail()
		return r
	}
	r.CDN, d.b = d.b[0] == 1, d.b[1:]
	r.CDNName, r.SpecialUse = d.string(), d.string()
	if nat64 := d.string(); nat64 != "" {
		if a, err := netip.ParseAddr(nat64); err == nil {
			r.NAT64 = a
		} else if d.err == nil {
			d.err = err
		}
	}
	s := &r.Sources
	s.ASN, s.ASOrg, s.Prefix, s.Country, s.RegisteredCountry, s.Provider, s.CDN = d.string(), d.string(), d.string(), d.string(), d.string(), d.string(), d.string()
	return r
}
