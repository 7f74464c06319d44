package metal

import "github.com/silica-go/silica/cpu"

// newCPU returns a CPU backend for the tests' references; cpu.New does not
// fail, so an error here is a bug.
func newCPU() *cpu.Backend {
	b, err := cpu.New()
	if err != nil {
		panic(err)
	}
	return b
}
