package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe/geo"
)

// measurementBatch is how many round trips one round trip to the server writes.
const measurementBatch = 1000

// insertMeasurements writes a run's round trips (check --rtt) inside its
// transaction; the run's domains exist by then (dimensions made them).
func insertMeasurements(ctx context.Context, tx pgx.Tx, runID int64, st *history.MeasurementStage) error {
	if st.Len() == 0 {
		return nil
	}
	b := &pgx.Batch{}
	send := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, b).Close()
		b = &pgx.Batch{}
		return err
	}
	err := st.Each(func(m history.Measurement, samples []byte) error {
		var lat, lon *float64
		if m.Location != nil {
			lat, lon = &m.Location.Lat, &m.Location.Lon
		}
		var claimed *string
		if m.Claimed != "" {
			claimed = &m.Claimed
		}
		b.Queue(`INSERT INTO rtt_measurements
			(run_id, domain_id, vantage, ip, vantage_lat, vantage_lon, claimed_country, method, min_ns, samples, measured_at)
			VALUES ($1, (SELECT id FROM domains WHERE name = $2), $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
			runID, m.Domain, m.Vantage, m.IP.String(), lat, lon, claimed, m.Method, int64(m.Min), string(samples), formatTime(m.MeasuredAt))
		if b.Len() >= measurementBatch {
			return send()
		}
		return nil
	})
	if err == nil {
		err = send()
	}
	if err != nil {
		return fmt.Errorf("record round trips: %w", err)
	}
	return nil
}

// Measurements returns every round trip recorded to ip.
func (s *Store) Measurements(ctx context.Context, ip netip.Addr) ([]history.Measurement, error) {
	q := `SELECT m.run_id, d.name, m.vantage, m.vantage_lat, m.vantage_lon, m.claimed_country,
		m.method, m.min_ns, m.samples::text, m.measured_at, m.ip
		FROM rtt_measurements m JOIN domains d ON d.id = m.domain_id`
	var args []any
	if ip.IsValid() {
		q += " WHERE m.ip = $1"
		args = append(args, ip.Unmap().String())
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
	}
	defer rows.Close()
	var out []history.Measurement
	for rows.Next() {
		var m history.Measurement
		var (
			lat, lon                  *float64
			claimed                   *string
			minNs                     int64
			samples, measured, stored string
		)
		if err := rows.Scan(&m.RunID, &m.Domain, &m.Vantage, &lat, &lon, &claimed, &m.Method, &minNs, &samples, &measured, &stored); err != nil {
			return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
		}
		if m.IP, err = netip.ParseAddr(stored); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.ip of run %d: %w", s.name, m.RunID, err)
		}
		if lat != nil && lon != nil {
			m.Location = &geo.Point{Lat: *lat, Lon: *lon}
		}
		if claimed != nil {
			m.Claimed = *claimed
		}
		m.Min = time.Duration(minNs)
		if m.Samples, err = history.DecodeSamples([]byte(samples)); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.samples of run %d: %w", s.name, m.RunID, err)
		}
		if m.MeasuredAt, err = parseTime(measured); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.measured_at of run %d: %w", s.name, m.RunID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
	}
	history.SortMeasurements(out)
	return out, nil
}
