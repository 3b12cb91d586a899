// Package blob is 6 MiB of initialised data: compiling it adds an entry of that size to Go's
// build cache.
package blob

// Data is not all zero, so the compiler writes all of it into the package's object file.
var Data = [6 << 20]byte{0: 1, 6<<20 - 1: 1}
