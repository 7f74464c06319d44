//go:build unix && !linux

package store

// populate: other systems fault the mapped pages in as they are read.
const populate = 0
