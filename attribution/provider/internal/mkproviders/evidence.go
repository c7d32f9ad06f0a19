package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
	"github.com/hostwatch/hostwatch/attribution/provider"
)

const asnTableFile = "asn-providers.csv"

// asnRow is one row of asn-providers.csv.
type asnRow struct {
	asn                      uint32
	provider, kind, evidence string
}

// fillEvidence sets the evidence of every row of the ASN table at path to
// the organisation the embedded ASN dataset in datasetDir gives for that
// ASN, drops rows of ASNs the dataset does not have, sorts the rows by ASN
// and rewrites the file.
func fillEvidence(datasetDir, path string, log io.Writer) error {
	raw, err := os.ReadFile(filepath.Join(datasetDir, manifest.FileName))
	if err != nil {
		return err
	}
	var m manifest.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", manifest.FileName, err)
	}
	var ds *manifest.Dataset
	for i := range m.Datasets {
		if slices.Contains(m.Datasets[i].Fields, "as_org") {
			ds = &m.Datasets[i]
			break
		}
	}
	if ds == nil {
		return fmt.Errorf("%s lists no dataset with as_org", manifest.FileName)
	}
	orgs, err := orgsByASN(filepath.Join(datasetDir, ds.File))
	if err != nil {
		return err
	}

	f, err := os.Open(path)
	if err != nil {
		return err
	}
	rows, err := readASNTable(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	kept := rows[:0]
	for _, r := range rows {
		org, ok := orgs[r.asn]
		if !ok {
			fmt.Fprintf(log, "mkproviders: dropping AS%d (%s): %s has no address of it\n", r.asn, r.provider, ds.ID)
			continue
		}
		if r.evidence != "" && r.evidence != org {
			fmt.Fprintf(log, "mkproviders: AS%d (%s): evidence was %q, %s now says %q: check the row\n", r.asn, r.provider, r.evidence, ds.ID, org)
		}
		r.evidence = org
		kept = append(kept, r)
	}
	slices.SortFunc(kept, func(a, b asnRow) int { return cmp.Compare(a.asn, b.asn) })

	var buf bytes.Buffer
	fmt.Fprintf(&buf, `# Who runs an AS: hostwatch's curated ASN -> provider table, read by package
# attribution/provider. One row per ASN; kind is one of cloud, cdn, hosting,
# isp, service (see the package documentation).
#
# evidence is the AS's organisation exactly as the embedded dataset gives it,
# written by attribution/provider/internal/mkproviders from it, never by hand;
# a test checks it again. A row whose ASN the dataset lacks is dropped.
# evidence-dataset: %s %s
`, ds.ID, ds.Version)
	w := csv.NewWriter(&buf)
	w.Write([]string{"asn", "provider", "kind", "evidence"})
	for _, r := range kept {
		w.Write([]string{strconv.FormatUint(uint64(r.asn), 10), r.provider, r.kind, r.evidence})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintf(log, "mkproviders: %s: %d ASNs, evidence from %s %s\n", asnTableFile, len(kept), ds.ID, ds.Version)
	return writeFile(path, buf.Bytes())
}

// readASNTable reads asn-providers.csv; evidence may be empty.
func readASNTable(r io.Reader) ([]asnRow, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 4
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"asn", "provider", "kind", "evidence"}) {
		return nil, errors.New("want the header asn,provider,kind,evidence")
	}
	seen := map[uint32]bool{}
	var rows []asnRow
	for i, rec := range recs[1:] {
		n, err := strconv.ParseUint(rec[0], 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("row %d: bad ASN %q", i+2, rec[0])
		}
		if seen[uint32(n)] {
			return nil, fmt.Errorf("row %d: AS%d listed twice", i+2, n)
		}
		seen[uint32(n)] = true
		if rec[1] == "" || !slices.Contains(provider.Kinds(), rec[2]) {
			return nil, fmt.Errorf("row %d: want a provider and a kind of %v, got %q, %q", i+2, provider.Kinds(), rec[1], rec[2])
		}
		rows = append(rows, asnRow{asn: uint32(n), provider: rec[1], kind: rec[2], evidence: rec[3]})
	}
	return rows, nil
}

// orgsByASN reads every record of an ASN MMDB file.
func orgsByASN(path string) (map[uint32]string, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	orgs := map[uint32]string{}
	done := map[uintptr]bool{}
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if done[res.Offset()] {
			continue
		}
		done[res.Offset()] = true
		var rec struct {
			ASN uint32 `maxminddb:"autonomous_system_number"`
			Org string `maxminddb:"autonomous_system_organization"`
		}
		if err := res.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if rec.ASN == 0 || rec.Org == "" {
			continue
		}
		if old, ok := orgs[rec.ASN]; ok && old != rec.Org {
			return nil, fmt.Errorf("%s: AS%d has two organisations, %q and %q", path, rec.ASN, old, rec.Org)
		}
		orgs[rec.ASN] = rec.Org
	}
	return orgs, nil
}
