//go:build !amd64

package half

// encode16 is EncodeFloat16's loop.
var encode16 = encode16Go
