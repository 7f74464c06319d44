package cpufeat

import (
	"sync"
	"syscall"
)

// Linux keeps the 8 KiB tile data state out of a process's threads until
// the process asks for it (arch_prctl ARCH_REQ_XCOMP_PERM, Linux 5.16 and
// later; Documentation/arch/x86/xstate.rst); a tile instruction before
// that kills the program with SIGILL.
const (
	sysArchPrctl     = 158
	archReqXcompPerm = 0x1023
	xfeatureTileData = 18
)

var amxOnce sync.Once
var amxOK bool

// EnableAMX asks the kernel, once per process, for the tile data state
// and reports whether the tile instructions may run: X86.AMXBF16 and a
// granted request.
func EnableAMX() bool {
	amxOnce.Do(func() {
		if !X86.AMXBF16 {
			return
		}
		_, _, errno := syscall.RawSyscall(sysArchPrctl, archReqXcompPerm, xfeatureTileData, 0)
		amxOK = errno == 0
	})
	return amxOK
}
