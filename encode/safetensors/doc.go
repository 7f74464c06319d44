// Package safetensors reads the safetensors format of Hugging Face
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length n, n bytes of JSON mapping each tensor name to its dtype, shape
// and data_offsets [begin, end) (relative to the byte after the header),
// then the tensors' bytes, little-endian in C order. The "__metadata__"
// entry is ignored.
//
// # Reading
//
// Open memory-maps the file where the platform can (read-only, shared with
// the page cache) and reads it otherwise; Parse checks bytes already in
// memory. Both check the whole header before returning: a header length
// past the end of the file, malformed JSON, an unknown dtype, a negative
// or overflowing shape, offsets that do not match the shape or run past
// the data, and tensors whose bytes overlap are one-line errors that name
// the file and the tensor.
//
// # Dtypes
//
// Every dtype of the format is sized, so a file with an I64 buffer (BERT's
// position_ids) opens; Tensor.Float32 converts F32, F16 and BF16 and is an
// error for the others.
package safetensors
