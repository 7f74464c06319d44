package store

import "syscall"

// populate asks Linux to read the mapped pages in at once (MAP_POPULATE),
// which is much faster than taking a fault per page as the checksum pass
// and the first scan touch them.
const populate = syscall.MAP_POPULATE
