package store

// mapping is a file's bytes held in memory, memory-mapped where the
// platform can (mmap_unix.go), read otherwise. It starts with one
// reference, its maker's; segments that read it in place hold one each;
// the last release unmaps it. refs changes only with the store's writer
// lock held (or before the store is shared).
type mapping struct {
	data   []byte
	refs   int
	mapped bool
}

func (m *mapping) hold() { m.refs++ }

func (m *mapping) release() {
	m.refs--
	if m.refs == 0 && m.data != nil {
		if m.mapped {
			unmap(m.data)
		}
		m.data = nil
	}
}
