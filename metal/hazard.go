package metal

// hazards decides where a concurrent compute encoder needs a memory
// barrier: before a launch that reads a buffer written since the last
// barrier (read after write), or writes a buffer read or written since
// then (write after read, write after write: plan slots are reused by
// later steps). Buffers are compared by identity, so two values that
// share a slot are one buffer.
type hazards struct {
	read, written map[devBuffer]bool
}

func newHazards() *hazards {
	return &hazards{read: map[devBuffer]bool{}, written: map[devBuffer]bool{}}
}

// next records a launch that reads reads and writes writes, and reports
// whether a barrier must precede it.
func (h *hazards) next(reads, writes []devBuffer) bool {
	barrier := false
	for _, b := range reads {
		barrier = barrier || h.written[b]
	}
	for _, b := range writes {
		barrier = barrier || h.written[b] || h.read[b]
	}
	if barrier {
		clear(h.read)
		clear(h.written)
	}
	for _, b := range reads {
		h.read[b] = true
	}
	for _, b := range writes {
		h.written[b] = true
	}
	return barrier
}
