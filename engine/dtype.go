package engine

import (
	"fmt"
	"strings"
)

// DType is the element type of an array.
type DType uint8

// The element types. Floating-point arithmetic always accumulates in
// float32, whatever the storage type.
const (
	InvalidDType DType = iota
	Float32            // IEEE 754 binary32
	Float16            // IEEE 754 binary16 (package half)
	BFloat16           // bfloat16: the top half of a float32
	Int8               // quantized storage: a row of int8 with a float32 scale
	Int32              // indices
	Int64              // indices and ids
)

var dtypeNames = [...]string{"invalid", "float32", "float16", "bfloat16", "int8", "int32", "int64"}

// Size returns the bytes one element takes.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float16, BFloat16:
		return 2
	case Int8:
		return 1
	case Int64:
		return 8
	}
	return 0
}

// IsFloat reports whether d is one of the floating-point types.
func (d DType) IsFloat() bool { return d == Float32 || d == Float16 || d == BFloat16 }

// IsIndex reports whether d can index rows (Int32 or Int64).
func (d DType) IsIndex() bool { return d == Int32 || d == Int64 }

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", d)
}

// ParseDType reads a dtype name: "float32" or "f32", "float16", "f16" or
// "half", "bfloat16" or "bf16", "int8" or "i8", "int32" or "i32", "int64"
// or "i64".
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float32", "f32", "fp32":
		return Float32, nil
	case "float16", "f16", "fp16", "half":
		return Float16, nil
	case "bfloat16", "bf16":
		return BFloat16, nil
	case "int8", "i8":
		return Int8, nil
	case "int32", "i32":
		return Int32, nil
	case "int64", "i64":
		return Int64, nil
	}
	return InvalidDType, fmt.Errorf("engine: unknown dtype %.48q (want float32, float16, bfloat16, int8, int32 or int64)", s)
}
