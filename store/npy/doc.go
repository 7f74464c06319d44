// Package npy reads and writes the NumPy .npy array format, version 1.0
// (and reads 2.0 and 3.0), as numpy.save writes it and numpy.load reads it.
//
// # Format
//
// A file is the magic string "\x93NUMPY", a major and a minor version
// byte, the header length (2 bytes little-endian in version 1.0, 4 bytes
// in 2.0 and 3.0), and the header: a Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 768), }
//
// padded with spaces and ended by '\n' so that the array data that follows
// starts at a multiple of 64 bytes (numpy.save's alignment; this package
// writes 64 and reads any). The data is the elements in C order (the last
// index fastest), in the byte order the descr names.
//
// # Types
//
// The writer handles the types Silica stores: '<f4' (float32), '<f2'
// (float16), '|i1' (int8), '<i4' and '<i8'. Types are known only as numpy
// writes them (numpy.dtype(t).str): booleans and integers of one byte with
// '|' ('|b1', '|i1', '|u1'), other integers and floats with '<' or '>' and
// a size of 2, 4 or 8 ('<f4', '>i8'). Other spellings numpy would read
// ('<i1', '=f4', '<f+4') are unknown types. The reader parses any simple
// descr and reports it; callers decide which they accept. Fortran order,
// structured dtypes, big-endian data and unknown types are rejected by
// ReadArray and Header.CheckSimple with an error naming them.
//
// # Errors
//
// A malformed header is an error that quotes the part that is wrong. Data
// shorter than the header promises is reported by the caller that knows
// the file's size (Header.DataBytes gives the expected length).
package npy
