package probe

// Progress hears of a run's targets as they start and end, so that a
// caller can show how far a long run has got; the engine itself prints
// nothing. Its methods are called from the run's goroutines, concurrently,
// and must return quickly: a display counts and draws on its own clock
// (restic's pattern: internal/restic/progress.go).
type Progress interface {
	// Started says a target was read and its work began.
	Started(Target)
	// Finished says a target's work ended, with its observation (which
	// may wait a while to be emitted, behind an earlier target).
	Finished(Observation)
}

// noProgress is the Progress of a run that was given none.
type noProgress struct{}

func (noProgress) Started(Target)       {}
func (noProgress) Finished(Observation) {}
