package reports

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
)

// EvidenceSchema names the version of the evidence file format.
const EvidenceSchema = "hostwatch.evidence/v1"

// EvidenceDocument is an evidence file: one target with its raw evidence,
// and what is needed to re-check it: the tool version, the datasets the
// addresses were attributed with, the resolvers asked and the vantage.
// The target's fields are at the top level, as in a line of JSON lines.
type EvidenceDocument struct {
	Schema      string                `json:"schema"`
	GeneratedAt string                `json:"generated_at"`
	ToolVersion string                `json:"tool_version"`
	Datasets    []attribution.Dataset `json:"datasets"`
	Resolvers   []string              `json:"resolvers"`
	Vantage     VantageJSON           `json:"vantage"`
	Target
}

// WriteEvidence writes one observation of the run r (whose observations
// are not read) with its raw evidence (the DNS replies in wire form, the
// certificate chains as sent) to DIR/DOMAIN.json, so that a published
// claim can be re-checked later. The file is replaced whole: a reader sees
// the old one or the new one.
func WriteEvidence(dir string, r probe.Report, o probe.Observation) error {
	t := NewTarget(o)
	if t.HTTP != nil && o.HTTP != nil {
		for i, h := range o.HTTP.Hops {
			if h.TLS == nil || i >= len(t.HTTP.Hops) || t.HTTP.Hops[i].TLS == nil {
				continue
			}
			for _, der := range h.TLS.Chain {
				t.HTTP.Hops[i].TLS.ChainPEM = append(t.HTTP.Hops[i].TLS.ChainPEM,
					string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	path := filepath.Join(dir, filepath.Base(o.Target.Domain)+".json")
	tmp, err := os.CreateTemp(dir, ".evidence-*")
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	doc := EvidenceDocument{Schema: EvidenceSchema, GeneratedAt: clock(r.GeneratedAt), ToolVersion: r.ToolVersion,
		Datasets: nonNil(r.Datasets), Resolvers: nonNil(r.Resolvers), Vantage: newVantageJSON(r.Vantage), Target: t}
	if err := writeDocument(tmp, doc); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}
