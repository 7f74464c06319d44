// Package encode runs sentence encoders of the BERT family (the
// sentence-transformers directories of all-MiniLM-L6-v2, bge-small/base,
// e5-small/base...) on a Silica engine: token ids in, sentence vectors out,
// as sentence-transformers computes them.
//
// # Model directory
//
// Load reads config.json (model_type "bert"; hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size,
// max_position_embeddings, type_vocab_size, layer_norm_eps decide every
// size), modules.json (Transformer, Pooling, optional Normalize),
// 1_Pooling/config.json (mean, cls or max), sentence_bert_config.json
// (max_seq_length) and model.safetensors (package encode/safetensors).
// The tokenizer files are read by package encode/tokenizer.
//
// # Forward pass
//
// Built from the engine's primitive ops only (gather, matmul, element-wise
// ops with broadcasting, reductions, slices, normalize). The tokens of a
// batch are packed as rows [n, hidden], no padding: the dense layers see
// every token of every text at once; attention runs per text on its row
// slices (so no mask is needed: a text's rows see only its own keys). A
// text of up to 96 tokens runs all heads in one set of products, its
// queries repeated per head and masked to the head's columns; a longer
// one runs one head at a time on column slices, with the scores transposed
// so the softmax reduces along axis 0. Each text's result is placed at
// its rows by a product with columns of the identity, and layer norm
// takes its row means as a product with a ones column. Texts are sorted
// by length and packed up to Options.BatchTokens tokens; each layer is
// one evaluation.
//
// # Speed
//
// Built from primitives only, the pass is many small steps (about 25 per
// short text and layer in attention, 12 per head of a long one) and
// several element-wise passes per layer norm and GELU. Reshape and
// transpose views, concatenation, batched products, and fused softmax,
// layer norm and attention kernels in the engine would remove most of
// them.
//
// # Errors
//
// Every bad input (a missing file, an unsupported model, a misshapen
// tensor, an empty or too long text, an id outside the vocabulary) is a
// one-line error, returned before any work on the engine.
package encode
