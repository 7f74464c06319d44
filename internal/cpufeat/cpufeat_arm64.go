package cpufeat

// detect records Advanced SIMD, which the arm64 architecture requires.
func detect() { ARM64.ASIMD = true }
